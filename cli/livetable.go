package cli

import (
	"fmt"
	"io"
	"strings"
)

// liveTable is the terminal view of `up` (docs/spec/runtime.md §16.3): one row per resource
// (name, status, latest detail), redrawn in place while the stack starts or stops.
// Its exact rendering is not part of the contract; plain lines are.
type liveTable struct {
	w      io.Writer
	color  bool
	names  []string
	status map[string]string
	detail map[string]string
	drawn  int // lines drawn by the last redraw, to move the cursor back over them
}

func newLiveTable(w io.Writer, color bool, names []string) *liveTable {
	return &liveTable{w: w, color: color, names: names, status: map[string]string{}, detail: map[string]string{}}
}

// set records a resource's status and detail and redraws.
func (t *liveTable) set(resource, status, detail string) {
	if status != "" {
		t.status[resource] = status
	}
	if detail != "" {
		t.detail[resource] = detail
	}
	t.redraw()
}

// redraw rewrites the table over its previous rendering.
func (t *liveTable) redraw() {
	var b strings.Builder
	if t.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", t.drawn)
	}
	rows := [][]string{{"RESOURCE", "STATUS", "DETAIL"}}
	for _, n := range t.names {
		rows = append(rows, []string{n, orDash(t.status[n]), t.detail[n]})
	}
	var table strings.Builder
	writeTable(&table, rows)
	for _, line := range strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n") {
		b.WriteString("\x1b[2K" + strings.TrimRight(line, " ") + "\n")
	}
	t.drawn = len(rows)
	fmt.Fprint(t.w, b.String())
}

// release leaves the last rendering on screen; later output goes below it.
func (t *liveTable) release() { t.drawn = 0 }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
