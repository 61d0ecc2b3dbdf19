package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// Issue 12 item 8, docs/spec/runtime.md §1.2, §17 item 102: on a full disk, up fails with a
// message that names the path once (it read `write <tmp>: write <tmp>: no space left on
// device`). The data root is a tiny tmpfs left with a few free kilobytes, so that up
// runs out of space at the network record, the hosts file, resolv.conf or a hostname
// file, whichever comes first at that level.
func TestCLIFullDiskErrorNamesPathOnce(t *testing.T) {
	env := harness.Require(t)
	dir := appProject(t, env, "clinospc", `      command: "exec sleep 3600"
`)
	full := 0
	for _, free := range []int{0, 12, 20, 24, 28} {
		t.Run(fmt.Sprintf("%dk free", free), func(t *testing.T) {
			mountFullTmpfs(t, env.DataRoot, free)
			t.Cleanup(func() { cliRun(t, env, dir, "down") }) // before the unmount
			code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never")
			if code == 0 {
				return // enough room at this level: nothing to check
			}
			full++
			t.Logf("up -d: exit %d: %s", code, strings.TrimSpace(errOut))
			if !strings.Contains(errOut, "no space left on device") {
				t.Fatalf("up -d: exit %d, not for lack of space:\n%s%s", code, out, errOut)
			}
			for _, line := range strings.Split(errOut, "\n") {
				if strings.Contains(line, "no space left on device") && strings.Count(line, env.DataRoot) != 1 {
					t.Errorf("the path is not named exactly once: %s", line)
				}
			}
		})
	}
	if full == 0 {
		t.Fatal("up never ran out of space: the fill levels no longer fit")
	}
}

// mountFullTmpfs mounts a 64 KiB tmpfs (mode 0700, as a data root) on dir, fills it
// but for free KiB, and unmounts it after the test, once down ran.
func mountFullTmpfs(t *testing.T, dir string, free int) {
	t.Helper()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs on %s: %v: %s", dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	if free < 64 {
		fill := make([]byte, (64-free)*1024)
		// A short write is the point: the disk is full.
		_ = os.WriteFile(filepath.Join(dir, "fill"), fill, 0o600)
	}
}
