package controltest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/logfile"
)

// WriteLog writes records for resource under root's project log directory and
// returns the file's path.
func WriteLog(t *testing.T, root, project, resource string, recs ...logfile.Record) string {
	t.Helper()
	dir := filepath.Join(root, "projects", project, "logs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, r := range recs {
		fmt.Fprintf(&b, `{"ts":%q,"stream":%q,"line":%q}`+"\n", logfile.FormatTS(r.TS), r.Stream, r.Line)
	}
	path := filepath.Join(dir, resource+".log")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// WaitFor polls cond: the output of another goroutine has no event to wait on.
func WaitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
