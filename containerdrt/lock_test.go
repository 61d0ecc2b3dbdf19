package containerdrt

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lightshuttle/lsctl/plan"
)

// docs/spec/runtime.md §12.9, §17 item 14: a second lock of the project fails naming the holder.
func TestLockProjectBusy(t *testing.T) {
	root := t.TempDir()
	l, err := LockProject(root, "shop", "up")
	if err != nil {
		t.Fatal(err)
	}
	if pid, cmd, held := ReadProjectLock(root, "shop"); !held || pid != os.Getpid() || cmd != "up" {
		t.Fatalf("ReadProjectLock = %d %q %v", pid, cmd, held)
	}
	_, err = LockProject(root, "shop", "down")
	var busy *BusyError
	if !errors.As(err, &busy) || busy.PID != os.Getpid() || busy.Command != "up" || busy.Project != "shop" {
		t.Fatalf("second lock: %v", err)
	}
	want := `project "shop" is busy: lsctl up (pid ` + strconv.Itoa(os.Getpid()) + `) is running`
	if err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
	if _, err := LockProject(root, "other", "up"); err != nil {
		t.Fatalf("another project: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatalf("second release: %v", err)
	}
	if _, _, held := ReadProjectLock(root, "shop"); held {
		t.Fatal("lock still held after Release")
	}
	l2, err := LockProject(root, "shop", "down")
	if err != nil {
		t.Fatalf("relock: %v", err)
	}
	l2.Release()
}

func TestReadProjectLockMissing(t *testing.T) {
	if pid, cmd, held := ReadProjectLock(t.TempDir(), "nope"); held || pid != 0 || cmd != "" {
		t.Fatalf("got %d %q %v", pid, cmd, held)
	}
}

// The data-root lock is exclusive against other open files (other processes) and
// re-entrant within the process.
func TestLockDataRootReentrant(t *testing.T) {
	root := t.TempDir()
	probe := func() bool { // true when another process could take the lock now
		f, err := os.OpenFile(filepath.Join(root, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil
	}
	outer, err := lockDataRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := lockDataRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	if probe() {
		t.Fatal("lock not held")
	}
	inner()
	inner() // a second call of the same unlock is a no-op
	if probe() {
		t.Fatal("released while the outer hold remains")
	}
	outer()
	if !probe() {
		t.Fatal("still held after the last unlock")
	}
}

// Issue 17 item 7: down --volumes removes the project directory with its lock file
// while holding the lock; a process that opened the old file before the removal
// locks a file that no longer guards anything, notices, and takes the new one.
func TestLockAfterProjectDirRemoved(t *testing.T) {
	root := t.TempDir()
	held, err := LockProject(root, "shop", "down")
	if err != nil {
		t.Fatal(err)
	}
	stale, err := os.Open(filepath.Join(plan.ProjectDir(root, "shop"), "lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer stale.Close()
	if err := held.RemoveProjectDir(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(plan.ProjectDir(root, "shop")); !os.IsNotExist(err) {
		t.Fatalf("project directory still there: %v", err)
	}
	held.Release()
	if samePath(stale, filepath.Join(plan.ProjectDir(root, "shop"), "lock")) {
		t.Error("a removed lock file still counts as the project's lock")
	}
	again, err := LockProject(root, "shop", "up")
	if err != nil {
		t.Fatal(err)
	}
	defer again.Release()
	if _, err := LockProject(root, "shop", "up"); err == nil {
		t.Error("a second holder got the recreated lock")
	}
}
