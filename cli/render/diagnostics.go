package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/lightshuttle/lsctl/manifest"
)

// ValidateReport is the JSON document of `validate --format json` (docs/spec/manifest.md §27.4).
type ValidateReport struct {
	OK        bool             `json:"ok"`
	Project   *string          `json:"project"`
	Resources int              `json:"resources"`
	Errors    []diagnosticJSON `json:"errors"`
	Warnings  []diagnosticJSON `json:"warnings"`
}

// diagnosticJSON is one diagnostic in JSON; absent location parts are null.
type diagnosticJSON struct {
	Code     string  `json:"code"`
	Severity string  `json:"severity"`
	Message  string  `json:"message"`
	Path     *string `json:"path"`
	Resource *string `json:"resource"`
	File     *string `json:"file"`
	Line     *int    `json:"line"`
	Column   *int    `json:"column"`
}

// NewValidateReport builds the JSON report. project is "" when unknown; diags are
// already sorted and, under --strict, already promoted to errors.
func NewValidateReport(project string, resources int, diags manifest.Diagnostics) ValidateReport {
	r := ValidateReport{OK: !diags.HasErrors(), Project: optString(project), Resources: resources,
		Errors: []diagnosticJSON{}, Warnings: []diagnosticJSON{}}
	for _, d := range diags {
		j := diagnosticJSON{Code: d.Code, Severity: string(d.Severity), Message: bareMessage(d),
			Path: optString(d.Path), Resource: optString(d.Resource), File: optString(d.File)}
		if !d.Pos.IsZero() {
			line, col := d.Pos.Line, d.Pos.Column
			j.Line, j.Column = &line, &col
		}
		if d.Severity == manifest.SeverityError {
			r.Errors = append(r.Errors, j)
		} else {
			r.Warnings = append(r.Warnings, j)
		}
	}
	return r
}

// bareMessage is the message without its "<path>: " prefix, which JSON carries in
// its own field (docs/spec/manifest.md §27.4).
func bareMessage(d manifest.Diagnostic) string {
	if d.Path != "" {
		if rest, ok := strings.CutPrefix(d.Message, d.Path+": "); ok {
			return rest
		}
	}
	return d.Message
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// WriteValidateJSON prints the report as one indented JSON object.
func WriteValidateJSON(w io.Writer, r ValidateReport) error {
	data, err := MarshalJSON(r, true)
	if err != nil {
		return fmt.Errorf("encode validation report: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}

// WriteDiagnostics prints diagnostics in text mode (docs/spec/manifest.md §27.1), one per line.
func WriteDiagnostics(w io.Writer, diags manifest.Diagnostics) {
	for _, d := range diags {
		fmt.Fprintln(w, d.String())
	}
}
