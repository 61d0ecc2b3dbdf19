package logfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fullLog is a log path whose writes fail with ENOSPC: a link to /dev/full.
func fullLog(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db.log")
	if err := os.Symlink("/dev/full", path); err != nil {
		t.Fatal(err)
	}
	return path
}

// Issue 12 item 5: when the log cannot be written, Copy keeps reading (the container
// never blocks on its stdout), drops the lines, counts them in the .dropped file, and
// names the path once in the error.
func TestCopyDropsLinesOnAFullDisk(t *testing.T) {
	path := fullLog(t)
	clock := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	w, err := openWriter(path, MaxFileSize, func() time.Time { clock = clock.Add(300 * time.Millisecond); return clock })
	if err != nil {
		t.Fatal(err)
	}
	// More than a pipe holds: a driver that stopped reading would block the writer.
	input := strings.Repeat(strings.Repeat("x", 99)+"\n", 2000)
	if err := Copy(w, Stdout, strings.NewReader(input)); err != nil {
		t.Fatalf("Copy: %v", err)
	}
	werr := w.Write(Stdout, "one more")
	if werr == nil || strings.Count(werr.Error(), path) != 1 || !strings.Contains(werr.Error(), "no space left on device") {
		t.Errorf("write error %q: want the path once and the cause", werr)
	}
	w.Close()
	d, err := ReadDropped(path)
	if err != nil {
		t.Fatal(err)
	}
	if d.Count != 2001 || !strings.Contains(d.Error, "no space left on device") || d.Since.IsZero() {
		t.Errorf("dropped = %+v, want 2001 lines and the cause", d)
	}
}

// Once the log can be written again, the first record is a note saying how many lines
// were lost; the file never holds half a record.
func TestWriterNotesLostLinesWhenWritingResumes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "db.log")
	if err := os.Symlink("/dev/full", path); err != nil {
		t.Fatal(err)
	}
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		_ = w.Write(Stdout, "lost")
	}
	// The disk has room again: the log is a regular file.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	w.f.Close()
	if err := w.openCurrent(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Stdout, "back"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	recs, err := Read(path, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || !strings.HasPrefix(recs[0].Line, "lsctl: 3 log line(s) were dropped here: ") || recs[1].Line != "back" {
		t.Errorf("records %+v", recs)
	}
}
