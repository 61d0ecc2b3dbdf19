package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// slowStopManifest is one container whose stop takes 3 s (its trap sleeps).
func slowStopManifest(project string) string {
	return fmt.Sprintf(`project: {name: %s}
resources:
  slow:
    container:
      image: %s
      command: "trap 'echo stopping slowly; sleep 3; exit 0' TERM; echo up; while :; do sleep 1; done"
`, project, harness.ImageRef("busybox"))
}

// interruptDown starts a down and kills it with SIGKILL once the stop signal has
// reached the slow container: the container is left on its way out.
func interruptDown(t *testing.T, env *harness.Env, dir, project string) {
	t.Helper()
	down := exec.Command(harness.Binary(t), "down", "--grace", "10s")
	down.Dir, down.Env = dir, append(os.Environ(), env.Environ(t)...)
	if err := down.Start(); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(plan.ProjectDir(env.DataRoot, project), "logs", "slow.log")
	waitForCLI(t, func() bool { // the stop signal arrived: the container is on its way out
		data, _ := os.ReadFile(logFile)
		return strings.Contains(string(data), "stopping slowly")
	})
	_ = down.Process.Signal(syscall.SIGKILL)
	_ = down.Wait()
}

// Issue 12 item 3: an up right after an interrupted down does not adopt a container
// that is still shutting down (it would exit under the new up): it waits for its exit,
// bounded by the grace, and starts a fresh one.
func TestCLIUpAfterInterruptedDown(t *testing.T) {
	env := harness.Require(t)
	const project = "cliintdown"
	dir, out := upDetached(t, env, slowStopManifest(project), "busybox")
	// Unsupervised, so that down stops the container itself (its supervisor would
	// finish the shutdown on its own; TestCLIUpWaitsForAStoppingSupervisor).
	supervisor, _ := supervisorOf(t, out)
	_ = syscall.Kill(supervisor, syscall.SIGKILL)
	awaitGone(t, supervisor, 10*time.Second)
	c, ctx := ctrClient(t, env)
	id := plan.ContainerID(project, "slow")
	old := taskPID(t, c, ctx, id)
	interruptDown(t, env, dir, project)
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 0 || strings.Contains(out, "slow: reusing running container") {
		t.Fatalf("up -d after an interrupted down: exit %d\n%s%s", code, out, errOut)
	}
	awaitGone(t, int(old), 15*time.Second)
	now := taskPID(t, c, ctx, id)
	if now == old || !containerdrt.ProcessAlive(int(now)) {
		t.Errorf("after the interrupted down, slow runs as pid %d (was %d, alive %v): want a fresh container", now, old, containerdrt.ProcessAlive(int(now)))
	}
}

// Issue 12 item 3, supervised: a down interrupted while the background supervisor
// stops the stack leaves the supervisor finishing the job; up -d waits for it and then
// starts the stack afresh.
func TestCLIUpWaitsForAStoppingSupervisor(t *testing.T) {
	env := harness.Require(t)
	const project = "cliwaitsv"
	dir, out := upDetached(t, env, slowStopManifest(project), "busybox")
	supervisor, _ := supervisorOf(t, out)
	c, ctx := ctrClient(t, env)
	old := taskPID(t, c, ctx, plan.ContainerID(project, "slow"))
	interruptDown(t, env, dir, project)
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 0 || !strings.Contains(out, "waiting for the background supervisor") || strings.Contains(out, "reusing running container") {
		t.Fatalf("up -d while the supervisor stops the stack: exit %d\n%s%s", code, out, errOut)
	}
	if containerdrt.ProcessAlive(supervisor) {
		t.Errorf("the stopping supervisor (pid %d) still runs", supervisor)
	}
	if now := taskPID(t, c, ctx, plan.ContainerID(project, "slow")); now == old {
		t.Errorf("slow kept its task (pid %d): want a fresh container", now)
	}
}
