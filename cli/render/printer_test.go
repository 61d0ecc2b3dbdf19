package render

import (
	"bytes"
	"testing"
)

// up's state lines go to the terminal and the log; container log lines and table
// redraws only to the terminal; a state shown in the table only to the log.
func TestLinePrinterKeepsStateLinesInTheLog(t *testing.T) {
	var screen, log bytes.Buffer
	p := NewLinePrinter(&screen, &log)
	p.Printf("db: healthy after %s", "1.2s")
	p.Screenf("db | %s", "ready to accept connections")
	_, _ = p.Write([]byte("\x1b[2A"))
	p.Logf("api: starting")
	if want := "db: healthy after 1.2s\ndb | ready to accept connections\n\x1b[2A"; screen.String() != want {
		t.Errorf("screen %q, want %q", screen.String(), want)
	}
	if want := "db: healthy after 1.2s\napi: starting\n"; log.String() != want {
		t.Errorf("log %q, want %q", log.String(), want)
	}
}
