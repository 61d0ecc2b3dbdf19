package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
)

// cleanup empties and deletes the test's namespace and removes its data root, so that a
// long test run does not fill the test containerd. LSCTL_TEST_KEEP=1 keeps both for
// debugging. Failures here are logged, not fatal: they must not hide the test's result.
func (e *Env) cleanup(t testing.TB) {
	if os.Getenv("LSCTL_TEST_KEEP") == "1" {
		t.Logf("harness: kept namespace %s and data root %s (LSCTL_TEST_KEEP=1)", e.Namespace, e.DataRoot)
		return
	}
	killSupervisors(t, e.DataRoot)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := emptyNamespace(namespaces.WithNamespace(ctx, e.Namespace), e.Address); err != nil {
		t.Logf("harness: cleanup of namespace %s: %v", e.Namespace, err)
	}
	if err := removeDataRoot(e.DataRoot); err != nil {
		t.Logf("harness: cleanup of data root %s: %v", e.DataRoot, err)
	}
}

// emptyNamespace kills every task, deletes every container with its snapshot and every
// image, then deletes the namespace itself.
func emptyNamespace(ctx context.Context, address string) error {
	c, err := containerd.New(address)
	if err != nil {
		return err
	}
	defer c.Close()
	containers, err := c.Containers(ctx)
	if err != nil {
		return err
	}
	for _, ctr := range containers {
		if task, err := ctr.Task(ctx, nil); err == nil {
			_, _ = task.Delete(ctx, containerd.WithProcessKill)
		}
		_ = ctr.Delete(ctx, containerd.WithSnapshotCleanup)
	}
	is := c.ImageService()
	imgs, err := is.List(ctx)
	if err != nil {
		return err
	}
	for i, img := range imgs {
		var opts []images.DeleteOpt
		if i == len(imgs)-1 {
			// The last delete collects garbage synchronously, so the namespace is empty.
			opts = append(opts, images.SynchronousDelete())
		}
		_ = is.Delete(ctx, img.Name, opts...)
	}
	ns, _ := namespaces.Namespace(ctx)
	if err := c.NamespaceService().Delete(ctx, ns); err != nil && !errdefs.IsNotFound(err) {
		return err
	}
	return nil
}

// removeDataRoot removes a data root, first detaching whatever is still mounted below it
// (a failed test can leave volume or network namespace mounts behind).
func removeDataRoot(dir string) error {
	if dir == "" || !strings.HasPrefix(dir, dataParent+"/") {
		// t.TempDir data roots are removed by the testing package.
		return nil
	}
	return removeTree(dir)
}

// removeTree removes dir after detaching whatever is mounted below it.
func removeTree(dir string) error {
	for _, m := range mountsUnder(dir) {
		_ = syscall.Unmount(m, syscall.MNT_DETACH)
	}
	return os.RemoveAll(dir)
}

// mountsUnder lists the mount points below dir, deepest first.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) > 4 && strings.HasPrefix(fields[4], dir+"/") {
			out = append(out, fields[4])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out
}

// killSupervisors kills the background supervisors that `lsctl up -d` left for the
// projects of a data root (a test that failed before its `down`), so that none of
// them outlives its test, restarting containers in a namespace being emptied.
func killSupervisors(t testing.TB, dataRoot string) {
	locks, _ := filepath.Glob(filepath.Join(dataRoot, "projects", "*", "lock"))
	for _, lock := range locks {
		data, err := os.ReadFile(lock)
		if err != nil {
			continue
		}
		var holder struct {
			PID int `json:"pid"`
		}
		if json.Unmarshal(data, &holder) != nil || holder.PID <= 0 {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", holder.PID))
		if err != nil || !strings.Contains(string(cmdline), "\x00__supervise\x00") {
			continue
		}
		if syscall.Kill(holder.PID, syscall.SIGKILL) == nil {
			t.Logf("harness: killed the background supervisor (pid %d) left by the test in %s", holder.PID, filepath.Dir(lock))
		}
	}
}
