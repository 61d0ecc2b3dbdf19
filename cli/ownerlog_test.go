package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The owner log stays bounded: past ownerLogMax it moves aside to .1 (dropping the
// older one) and starts again, so at most twice the bound is ever kept.
func TestOwnerLogRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "projects", "shop", "supervisor.log")
	l, err := openOwnerLog(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	line := []byte(strings.Repeat("x", 1023) + "\n")
	for i := 0; i < 3*ownerLogMax/len(line); i++ {
		if n, err := l.Write(line); n != len(line) || err != nil {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
	}
	cur, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	old, err := os.Stat(path + ".1")
	if err != nil {
		t.Fatalf("no rotated log: %v", err)
	}
	if cur.Size() > ownerLogMax || old.Size() > ownerLogMax || cur.Mode().Perm() != 0o600 {
		t.Errorf("sizes %d and %d over %d, or mode %v", cur.Size(), old.Size(), ownerLogMax, cur.Mode())
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 2 {
		t.Errorf("%d files in the project directory, want the log and one old log", len(entries))
	}
}

// A removed directory or a closed log loses lines, never the writer's caller.
func TestOwnerLogNeverFails(t *testing.T) {
	dir := t.TempDir()
	l, err := openOwnerLog(filepath.Join(dir, "p", "supervisor.log"), false)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if n, err := l.Write([]byte("late\n")); n != 5 || err != nil {
		t.Errorf("write after close: %d, %v", n, err)
	}
}

type failingWriter struct{ writes int }

func (f *failingWriter) Write(p []byte) (int, error) {
	f.writes++
	return 0, errors.New("write /dev/stdout: broken pipe")
}

// A stream that fails once is dropped: later writes do not reach it and nobody sees
// an error (docs/spec/runtime.md §12.8: a dead terminal never aborts up).
func TestStreamWriterDropsDeadStream(t *testing.T) {
	f := &failingWriter{}
	w := &streamWriter{w: f}
	for i := 0; i < 3; i++ {
		if n, err := w.Write([]byte("line\n")); n != 5 || err != nil {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
	}
	if f.writes != 1 {
		t.Errorf("the dead stream got %d writes, want 1", f.writes)
	}
}
