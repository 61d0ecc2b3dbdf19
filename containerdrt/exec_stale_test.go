package containerdrt

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Issue 12 item 4: the FIFOs of a probe whose lsctl died are read and removed with
// their directory, so is an old empty exec directory; a live probe's are kept.
func TestSweepExecDirs(t *testing.T) {
	root := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, pid int) string {
		dir := filepath.Join(root, name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, stream := range []string{"stdout", "stderr"} {
			if err := syscall.Mkfifo(filepath.Join(dir, fmt.Sprintf("%s%d-00ff-%s", execIDPrefix, pid, stream)), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	abandonedDir := mk("1", dead.Process.Pid)
	liveDir := mk("2", os.Getpid())
	oldEmpty := filepath.Join(root, "3")
	newEmpty := filepath.Join(root, "4")
	for _, d := range []string{oldEmpty, newEmpty} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-time.Minute)
	if err := os.Chtimes(oldEmpty, past, past); err != nil {
		t.Fatal(err)
	}
	// A writer that opened the abandoned FIFO (as a shim does) must not block the sweep.
	go func() {
		if f, err := os.OpenFile(filepath.Join(abandonedDir, fmt.Sprintf("%s%d-00ff-stdout", execIDPrefix, dead.Process.Pid)), os.O_WRONLY, 0); err == nil {
			_, _ = f.WriteString("probe output nobody reads\n")
			f.Close()
		}
	}()
	start := time.Now()
	sweepExecDirs(root)
	if took := time.Since(start); took > staleReadFor+time.Second {
		t.Errorf("sweep took %s", took)
	}
	for dir, want := range map[string]bool{abandonedDir: false, liveDir: true, oldEmpty: false, newEmpty: true} {
		if _, err := os.Stat(dir); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", dir, err == nil, want)
		}
	}
}
