package logdriver

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/logfile"
)

// The test binary doubles as the driver process: the shim's fd layout cannot be set
// up in-process.
func TestMain(m *testing.M) {
	if path := os.Getenv("LOGDRIVER_TEST_PATH"); path != "" {
		os.Exit(Run([]string{path}))
	}
	os.Exit(m.Run())
}

// driver starts the driver as the shim does: stdout on fd 3, stderr on fd 4, a
// readiness pipe on fd 5. It returns the write ends and waits for readiness.
func driver(t *testing.T) (cmd *exec.Cmd, stdout, stderr *os.File, path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "logs", "app.log")
	outR, outW, _ := os.Pipe()
	errR, errW, _ := os.Pipe()
	readyR, readyW, _ := os.Pipe()
	cmd = exec.Command(os.Args[0])
	// GORACE: a race-enabled child otherwise sleeps 1 s at exit.
	cmd.Env = append(os.Environ(), "LOGDRIVER_TEST_PATH="+path, "GORACE=atexit_sleep_ms=0")
	cmd.ExtraFiles = []*os.File{outR, errR, readyW}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	outR.Close()
	errR.Close()
	readyW.Close()
	// docs/spec/runtime.md §10.1: fd 5 is closed once the log file is open.
	if _, err := io.ReadAll(readyR); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("ready before the log file exists: %v", err)
	}
	return cmd, outW, errW, path
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	recs, err := logfile.Read(path, -1)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Stream+":"+r.Line)
	}
	return out
}

// docs/spec/runtime.md §10.1: both streams are copied until end of file, including a final
// partial line, and the driver exits 0.
func TestRunCopiesUntilEOF(t *testing.T) {
	cmd, out, errw, path := driver(t)
	io.WriteString(out, "hello\nworld")
	io.WriteString(errw, "oops\n")
	out.Close()
	errw.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("driver exit: %v", err)
	}
	got := strings.Join(lines(t, path), "|")
	for _, want := range []string{"stdout:hello", "stdout:world", "stderr:oops"} {
		if !strings.Contains(got, want) {
			t.Errorf("records %q lack %q", got, want)
		}
	}
}

// docs/spec/runtime.md §10.1: on SIGTERM the driver keeps reading for at most 2 s, writes the
// final partial line and exits 0, even if a writer keeps its end open.
func TestRunStopsAfterTerm(t *testing.T) {
	cmd, out, errw, path := driver(t)
	defer out.Close()
	defer errw.Close()
	io.WriteString(out, "last words")
	io.WriteString(errw, "line\n")
	waitFor(t, func() bool { return len(lines(t, path)) == 1 })
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("driver exit after SIGTERM: %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("driver took %s to stop", took)
	}
	got := strings.Join(lines(t, path), "|")
	if !strings.Contains(got, "stdout:last words") {
		t.Errorf("partial line lost on SIGTERM: %q", got)
	}
}

// waitFor polls a file-system condition (there is no event to await across processes).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
