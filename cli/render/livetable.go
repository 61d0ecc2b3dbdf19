package render

import (
	"fmt"
	"io"
	"strings"
)

// LiveTable is the terminal view of `up` (docs/spec/runtime.md §16.3): one row per resource
// (name, status, latest detail), redrawn in place while the stack starts or stops.
// Its exact rendering is not part of the contract; plain lines are.
type LiveTable struct {
	w      io.Writer
	color  bool
	names  []string
	status map[string]string
	detail map[string]string
	drawn  int // lines drawn by the last redraw, to move the cursor back over them
}

// NewLiveTable returns the table of these resources, drawn on w.
func NewLiveTable(w io.Writer, color bool, names []string) *LiveTable {
	return &LiveTable{w: w, color: color, names: names, status: map[string]string{}, detail: map[string]string{}}
}

// Set records a resource's status and detail and redraws.
func (t *LiveTable) Set(resource, status, detail string) {
	if status != "" {
		t.status[resource] = status
	}
	if detail != "" {
		t.detail[resource] = detail
	}
	t.redraw()
}

// redraw rewrites the table over its previous rendering.
func (t *LiveTable) redraw() {
	var b strings.Builder
	if t.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", t.drawn)
	}
	rows := [][]string{{"RESOURCE", "STATUS", "DETAIL"}}
	for _, n := range t.names {
		rows = append(rows, []string{n, orDash(t.status[n]), t.detail[n]})
	}
	var table strings.Builder
	WriteTable(&table, rows)
	for _, line := range strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n") {
		b.WriteString("\x1b[2K" + strings.TrimRight(line, " ") + "\n")
	}
	t.drawn = len(rows)
	fmt.Fprint(t.w, b.String())
}

// Release leaves the last rendering on screen; later output goes below it.
func (t *LiveTable) Release() { t.drawn = 0 }

// Seed records a resource's status without redrawing, before the first Set.
func (t *LiveTable) Seed(resource, status string) { t.status[resource] = status }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
