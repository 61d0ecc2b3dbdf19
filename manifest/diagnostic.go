package manifest

import (
	"fmt"
	"sort"
	"strings"
)

// Severity of a diagnostic.
type Severity string

// Diagnostic severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Diagnostic is one error or warning about the manifest (docs/spec/manifest.md §27).
type Diagnostic struct {
	Code     string   // stable code, e.g. "invalid-port"
	Severity Severity // error or warning
	Message  string   // "<path>: <message>" without the file:line:column prefix
	Path     string   // field path, "" when not applicable
	Resource string   // resource name, "" when not applicable
	File     string   // manifest file as shown, "" when not applicable
	Pos      Pos      // zero when not applicable
}

// NewDiagnostic makes a diagnostic about path (which prefixes msg when not empty) in
// resource res. Path and resource name are clipped for display (ClipPath, Clip): a
// diagnostic stays one short line however long the names in the manifest are.
func NewDiagnostic(sev Severity, code, path, res, msg string) Diagnostic {
	path = ClipPath(path)
	if path != "" {
		msg = path + ": " + msg
	}
	return Diagnostic{Code: code, Severity: sev, Message: msg, Path: path, Resource: Clip(res)}
}

// String renders the diagnostic in text mode (docs/spec/manifest.md §27.1).
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(string(d.Severity))
	b.WriteString(": ")
	if d.File != "" && !d.Pos.IsZero() {
		fmt.Fprintf(&b, "%s:%d:%d: ", d.File, d.Pos.Line, d.Pos.Column)
	}
	b.WriteString(d.Message)
	return b.String()
}

// Diagnostics is an ordered list of diagnostics.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Errors returns the error diagnostics.
func (ds Diagnostics) Errors() Diagnostics { return ds.filter(SeverityError) }

// Warnings returns the warning diagnostics.
func (ds Diagnostics) Warnings() Diagnostics { return ds.filter(SeverityWarning) }

func (ds Diagnostics) filter(s Severity) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == s {
			out = append(out, d)
		}
	}
	return out
}

// Strict turns every warning into an error with the same code (--strict).
func (ds Diagnostics) Strict() Diagnostics {
	out := make(Diagnostics, len(ds))
	for i, d := range ds {
		d.Severity = SeverityError
		out[i] = d
	}
	return out
}

// Sort orders diagnostics by line, then column; those without a location come last.
// The sort is stable so diagnostics at one place keep their discovery order.
func (ds Diagnostics) Sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i].Pos, ds[j].Pos
		if a.IsZero() != b.IsZero() {
			return !a.IsZero()
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// Error makes a list with at least one error usable as a Go error.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}
