package plan

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 12 item 8: a failed write names the file once, with the cause (the os error
// named the temporary file and so repeated the path), and the cause stays testable.
func TestWriteFileAtomicErrorNamesPathOnce(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "gone", "secrets.json")
	err := WriteFileAtomic(missing, []byte("x"), 0o600)
	if err == nil || err.Error() != "write "+missing+": no such file or directory" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteFileAtomic into a missing directory: %v", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "target.json"), 0o700); err != nil { // rename over a directory fails
		t.Fatal(err)
	}
	target := filepath.Join(dir, "target.json")
	if err := WriteFileAtomic(target, []byte("x"), 0o600); err == nil || strings.Count(err.Error(), dir) != 1 {
		t.Errorf("WriteFileAtomic over a directory: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a temporary file was left: %v", entries)
	}
}
