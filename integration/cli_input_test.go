package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// Issue 12 item 7, manifest.md §15.1, §29 item 99: a `:ro` mapping is mounted
// read-only — the container reads it and a write through it fails — while a mapping
// without a mode stays writable.
func TestCLIVolumeReadOnly(t *testing.T) {
	env := harness.Require(t)
	const project = "clivro"
	dir := cliWriteManifest(t, fmt.Sprintf(`project: {name: %s}
resources:
  app:
    container:
      image: %s
      volumes: ["./conf:/etc/app:ro", "./data:/data"]
      command: "cat /etc/app/greeting > /data/read; if touch /etc/app/written 2>/data/err; then echo writable; else echo refused; fi > /data/ro; exec sleep 3600"
      healthcheck:
        test: ["CMD", "test", "-s", "/data/ro"]
        interval: 1s
        start_interval: 100ms
`, project, harness.ImageRef("busybox")))
	writeFiles(t, dir, map[string]string{"conf/greeting": "hello\n"})
	cliLoadImages(t, env, dir, "busybox")
	t.Cleanup(func() { cliRun(t, env, dir, "down") })
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never", "--wait-timeout", "60s")
	if code != 0 {
		t.Fatalf("up -d: exit %d\n%s%s", code, out, errOut)
	}
	for file, want := range map[string]string{"read": "hello\n", "ro": "refused\n"} {
		if data, err := os.ReadFile(filepath.Join(dir, "data", file)); err != nil || string(data) != want {
			t.Errorf("data/%s = %q, %v; want %q", file, data, err, want)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "data", "err")); !strings.Contains(string(data), "Read-only file system") {
		t.Errorf("the write failed with %q, want Read-only file system", data)
	}
	if _, err := os.Stat(filepath.Join(dir, "conf", "written")); err == nil {
		t.Error("the container wrote through the :ro mapping")
	}
}
