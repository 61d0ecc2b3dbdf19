package integration

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// docs/spec/runtime.md §17 item 104 (issue 12 item 4): after a killed up, containerd may report a task UNKNOWN (its shim
// does not answer) and the next up waits on it. up says what it waits for, then
// carries on once the shim answers again.
func TestCLIUpSaysWhatItWaitsFor(t *testing.T) {
	env := harness.Require(t)
	const project = "cliwait"
	dir, out := upDetached(t, env, sleeperManifest(project), "busybox")
	pid, _ := supervisorOf(t, out)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	awaitGone(t, pid, 10*time.Second)

	c, ctx := ctrClient(t, env)
	shim := parentOf(t, int(taskPID(t, c, ctx, plan.ContainerID(project, "job"))))
	if err := syscall.Kill(shim, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(shim, syscall.SIGCONT) })

	up := startFgLsctl(t, env, dir, false, "up", "-d", "--pull", "never")
	up.await("job: still waiting for containerd to create or adopt the container after ", 30*time.Second)
	if line := lineWith(up.output(), "job: still waiting"); !strings.Contains(line, "(task: UNKNOWN (its shim does not answer containerd))") {
		t.Errorf("the waiting line does not say containerd reports the task UNKNOWN: %q", line)
	}
	if err := syscall.Kill(shim, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if code := up.exitCode(60 * time.Second); code != 0 {
		t.Fatalf("up -d after the shim answered again: exit %d\n%s", code, up.output())
	}
	if !strings.Contains(up.output(), "job: running") {
		t.Errorf("up -d did not bring job back:\n%s", up.output())
	}
}

// parentOf is the parent process of pid (a task's init process: its shim).
func parentOf(t *testing.T, pid int) int {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "PPid:"); ok {
			ppid, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return ppid
		}
	}
	t.Fatalf("no PPid in /proc/%d/status", pid)
	return 0
}

// lineWith is the first line of out containing s, or "".
func lineWith(out, s string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}
