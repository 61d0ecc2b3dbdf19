package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RequireChromium returns the path of Debian's chromium (provision.sh installs it),
// or skips the test — fails it where integration tests must run.
func RequireChromium(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	if err != nil {
		unavailable(t, "chromium is not installed (%v); install it with: sudo integration/provision.sh all", err)
	}
	return p
}

// ScreenshotDir is where browser tests save their screenshots: LSCTL_TEST_LOG_DIR, else
// the repository's bin/test-logs (the Makefile's log directory), under screenshots/.
func ScreenshotDir(t testing.TB) string {
	t.Helper()
	dir := envOr("LSCTL_TEST_LOG_DIR", filepath.Join(repoRoot(), "bin", "test-logs"))
	dir = filepath.Join(dir, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("create the screenshot directory: %v", err)
	}
	return dir
}
