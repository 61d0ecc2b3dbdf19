package harness

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	binaryOnce sync.Once
	binaryDir  string
	binaryPath string
	binaryErr  error
)

// Binary returns the path of an lsctl binary built from this checkout, once per test
// process. LSCTL_TEST_BINARY names a prebuilt one instead. A build failure fails the test.
func Binary(t testing.TB) string {
	t.Helper()
	binaryOnce.Do(func() {
		if p := os.Getenv("LSCTL_TEST_BINARY"); p != "" {
			binaryPath = p
			return
		}
		binaryPath, binaryErr = build()
	})
	if binaryErr != nil {
		t.Fatalf("build lsctl for integration tests: %v", binaryErr)
	}
	return binaryPath
}

func build() (string, error) {
	dir, err := os.MkdirTemp("", "lsctl-it-bin-")
	if err != nil {
		return "", err
	}
	binaryDir = dir
	out := filepath.Join(dir, "lsctl")
	// The dedicated log driver goes beside lsctl, where lsctl finds it (issue 16).
	for _, b := range []struct{ out, pkg string }{{out, "."}, {filepath.Join(dir, logDriverName), "./containerdrt/logdriver/" + logDriverName}} {
		cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
		cmd.Dir = repoRoot()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return "", &buildError{err: err, stderr: stderr.String()}
		}
	}
	return out, nil
}

// logDriverName is containerdrt.LogDriverName; the harness does not import lsctl.
const logDriverName = "lsctl-log-driver"

// LogDriver is the dedicated log driver built beside Binary (or LSCTL_LOG_DRIVER).
func LogDriver(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("LSCTL_LOG_DRIVER"); p != "" {
		return p
	}
	return filepath.Join(filepath.Dir(Binary(t)), logDriverName)
}

type buildError struct {
	err    error
	stderr string
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.stderr }
func (e *buildError) Unwrap() error { return e.err }

// Main runs the tests of a package and then removes the binary Binary built. Use it from
// TestMain: func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	if binaryDir != "" {
		_ = os.RemoveAll(binaryDir)
	}
	return code
}
