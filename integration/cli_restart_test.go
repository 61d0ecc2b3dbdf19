package integration

import (
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// docs/spec/runtime.md §17 items 46 and 47, §12.6, §16.7: two concurrent `lsctl restart base`
// against a foreground up: one is accepted and completes, the other is rejected as
// already in progress; base's dependent keeps its container and task.
func TestCLIConcurrentRestarts(t *testing.T) {
	env := harness.Require(t)
	bb := harness.ImageRef("busybox")
	// base becomes healthy 2 s after each start, so a restart holds its permit that long.
	dir := cliWriteManifest(t, fmt.Sprintf(`project: {name: clirst}
resources:
  base:
    container:
      image: %s
      command: "sleep 2; touch /tmp/ready; exec sleep 3600"
      healthcheck:
        test: ["CMD", "test", "-f", "/tmp/ready"]
        interval: 1s
        start_period: 20s
        start_interval: 100ms
  dep:
    container:
      image: %s
      command: "exec sleep 3600"
      depends_on: [base]
`, bb, bb))
	cliLoadImages(t, env, dir, "busybox")
	up := startFgUp(t, env, dir, false, "--pull", "never", "--grace", "2s", "--quiet")
	up.await("[clirst] ready: 2 resource(s)", 2*time.Minute)
	c, ctx := ctrClient(t, env)
	depID := plan.ContainerID("clirst", "dep")
	depPID, depStarted := taskPID(t, c, ctx, depID), startedAtLabel(t, env, depID)
	basePID := taskPID(t, c, ctx, plan.ContainerID("clirst", "base"))

	type result struct {
		code        int
		out, errOut string
	}
	results := make([]result, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			code, out, errOut := cliRun(t, env, dir, "restart", "base")
			results[i] = result{code, out, errOut}
		})
	}
	wg.Wait()
	accepted, rejected := results[0], results[1]
	if accepted.code != 0 {
		accepted, rejected = rejected, accepted
	}
	if accepted.code != 0 || accepted.out != "base: restart accepted\nbase: stopped\nbase: started\nbase: healthy\n" {
		t.Errorf("accepted restart: exit %d\n%s%s", accepted.code, accepted.out, accepted.errOut)
	}
	if rejected.code != 1 || !strings.Contains(rejected.errOut, `error: a restart of "base" is already in progress`) {
		t.Errorf("rejected restart: exit %d\n%s%s", rejected.code, rejected.out, rejected.errOut)
	}
	if now := taskPID(t, c, ctx, plan.ContainerID("clirst", "base")); now == basePID {
		t.Errorf("base still runs its old task (pid %d) after the restart", now)
	}
	if now := taskPID(t, c, ctx, depID); now != depPID {
		t.Errorf("dependent dep was restarted: task pid %d, was %d", now, depPID)
	}
	if now := startedAtLabel(t, env, depID); now != depStarted {
		t.Errorf("dependent dep's started-at changed from %q to %q", depStarted, now)
	}
	up.signal(syscall.SIGINT)
	if code := up.exitCode(time.Minute); code != 130 {
		t.Errorf("up exit %d, want 130; output:\n%s", code, up.output())
	}
}

// startedAtLabel is container id's lightshuttle.started-at label (docs/spec/runtime.md §4.2),
// waited for because it is written off the start's critical path.
func startedAtLabel(t *testing.T, env *harness.Env, id string) string {
	t.Helper()
	c, ctx := ctrClient(t, env)
	var v string
	waitForCLI(t, func() bool {
		ctr, err := c.LoadContainer(ctx, id)
		if err != nil {
			t.Fatalf("load container %s: %v", id, err)
		}
		labels, err := ctr.Labels(ctx)
		v = labels["lightshuttle.started-at"]
		return err == nil && v != ""
	})
	return v
}
