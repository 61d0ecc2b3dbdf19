package render

import (
	"strings"
	"testing"
)

// The live table redraws over its previous rendering (docs/spec/runtime.md §16.3 TTY mode).
func TestLiveTable(t *testing.T) {
	var b strings.Builder
	lt := NewLiveTable(&b, false, []string{"db", "api"})
	lt.Set("db", "starting", "starting")
	lt.Set("db", "healthy", "healthy after 1.2s")
	want := "\x1b[2KRESOURCE  STATUS    DETAIL\n\x1b[2Kdb        starting  starting\n\x1b[2Kapi       -\n" +
		"\x1b[3A\x1b[2KRESOURCE  STATUS   DETAIL\n\x1b[2Kdb        healthy  healthy after 1.2s\n\x1b[2Kapi       -\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}
