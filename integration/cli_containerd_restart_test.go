package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// restartManifest is two busybox containers restarted whenever they exit, probed every
// second; with retries 1 a single counted probe failure would make one unhealthy.
func restartManifest(project string) string {
	resource := `  %s:
    container:
      image: %s
      command: "exec sleep 3600"
      restart: always
      healthcheck:
        test: ["CMD", "true"]
        interval: 1s
        retries: 1
        start_interval: 100ms
`
	bb := harness.ImageRef("busybox")
	return fmt.Sprintf("project: {name: %s}\nresources:\n", project) +
		fmt.Sprintf(resource, "a", bb) + fmt.Sprintf(resource, "b", bb)
}

// Issue 11 item 2, scenario A: containerd restarts under a foreground up.
func TestCLIContainerdRestartForeground(t *testing.T) {
	env, d := harness.RequireDaemon(t, "crd-fg")
	const project = "crdfg"
	dir := cliWriteManifest(t, restartManifest(project))
	cliLoadImages(t, env, dir, "busybox")
	up := startFgUp(t, env, dir, false, "--pull", "never", "--grace", "2s")
	up.await("["+project+"] ready: 2 resource(s)", 2*time.Minute)
	containerdRestart(t, env, d, dir, project, syscall.SIGKILL, "lsctl up (pid", up.output)
}

// Issue 11 item 2, scenario B: containerd restarts under a background supervisor.
func TestCLIContainerdRestartSupervised(t *testing.T) {
	env, d := harness.RequireDaemon(t, "crd-bg")
	const project = "crdbg"
	dir := cliWriteManifest(t, restartManifest(project))
	cliLoadImages(t, env, dir, "busybox")
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never", "--grace", "2s")
	if code != 0 {
		t.Fatalf("up -d: exit %d\n%s%s", code, out, errOut)
	}
	t.Cleanup(func() { cliRun(t, env, dir, "down") })
	pid, logPath := supervisorOf(t, out)
	supervisorLog := func() string { data, _ := os.ReadFile(logPath); return string(data) }
	containerdRestart(t, env, d, dir, project, syscall.SIGTERM, "the background supervisor (pid", supervisorLog)
	if !containerdrt.ProcessAlive(pid) {
		t.Errorf("the supervisor (pid %d) did not survive containerd's restart", pid)
	}
}

// containerdRestart stops the stack's containerd with sig, checks ps while it is down,
// kills a's process meanwhile, starts containerd again, and checks that ps is right
// within 2 s, that a's exit is reported and a restarted, that b stayed adopted and
// healthy all along, and that b, killed afterwards, is restarted too. owner is how ps
// names the supervising process; output is what it printed so far.
func containerdRestart(t *testing.T, env *harness.Env, d *harness.Daemon, dir, project string, sig syscall.Signal, owner string, output func() string) {
	events := subscribeEvents(t, controlSocket(env, project))
	c, ctx := ctrClient(t, env)
	pidA := taskPID(t, c, ctx, plan.ContainerID(project, "a"))
	pidB := taskPID(t, c, ctx, plan.ContainerID(project, "b"))

	d.Kill(sig)
	out := awaitPS(t, env, dir, 5*time.Second, func(out string) bool { return strings.Contains(out, "containerd unavailable") })
	notice := "[" + project + "] containerd unavailable: cannot connect to containerd at " + d.Address()
	if !containsAll(out, notice, "a     container  unknown", "b     container  unknown", owner) {
		t.Errorf("ps while containerd is down:\n%s", out)
	}
	assertPSJSONUnavailable(t, env, dir)
	awaitText(t, output, `msg="containerd unavailable: the health state holds until it answers" resource=b`, 10*time.Second)
	if err := syscall.Kill(int(pidA), syscall.SIGKILL); err != nil {
		t.Fatalf("kill a's process %d while containerd is down: %v", pidA, err)
	}

	d.Start()
	back := time.Now()
	awaitPS(t, env, dir, 3*time.Second, func(out string) bool { return !strings.Contains(out, "containerd unavailable") })
	if took := time.Since(back); took > 2*time.Second {
		t.Errorf("ps said containerd unavailable for %s after it answered again, want at most 2 s", took)
	}
	if e, want := awaitEvent(t, events, "resource_exited", "a", 30*time.Second), exitWhileDown(env); e.ExitCode == nil || *e.ExitCode != want {
		t.Errorf("a exited while containerd was down: resource_exited %+v, want exit code %d", e, want)
	}
	awaitEvent(t, events, "resource_restarting", "a", 30*time.Second)
	awaitEvent(t, events, "resource_healthy", "a", 30*time.Second)
	if now := taskPID(t, c, ctx, plan.ContainerID(project, "b")); now != pidB || strings.Contains(output(), "b: unhealthy") {
		t.Errorf("b must stay adopted and healthy across the restart: pid %d -> %d\n%s", pidB, now, output())
	}

	if err := syscall.Kill(int(pidB), syscall.SIGKILL); err != nil {
		t.Fatalf("kill b's process %d: %v", pidB, err)
	}
	if e := awaitEvent(t, events, "resource_exited", "b", 30*time.Second); e.ExitCode == nil || *e.ExitCode != 137 {
		t.Errorf("b killed after containerd's return: resource_exited %+v, want exit code 137", e)
	}
	awaitEvent(t, events, "resource_restarting", "b", 30*time.Second)
	awaitEvent(t, events, "resource_healthy", "b", 30*time.Second)
	code, out, _ := cliRun(t, env, dir, "ps")
	if code != 0 || !containsAll(out, "a     container  healthy", "b     container  healthy") || strings.Contains(out, "unavailable") {
		t.Errorf("ps once the stack recovered: exit %d\n%s", code, out)
	}
}

// exitWhileDown is the exit code reported for a task SIGKILLed while containerd was
// down. containerd 1.6 reloads the stopped task and reports its status (137); 2.x
// reaps at its start every shim whose processes are gone, task included, so the status
// is lost and lsctl reports containerdrt.UnknownExitCode.
func exitWhileDown(env *harness.Env) int {
	if env.Flavor == "debian" {
		return 137
	}
	return containerdrt.UnknownExitCode
}

// awaitPS runs ps until its output satisfies ok (ps has nothing to subscribe to),
// failing after timeout; it returns that output.
func awaitPS(t *testing.T, env *harness.Env, dir string, timeout time.Duration, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		code, out, errOut := cliRun(t, env, dir, "ps")
		if code == 0 && ok(out) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("ps did not show what was expected within %s: exit %d\n%s%s", timeout, code, out, errOut)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// assertPSJSONUnavailable checks that ps --json stays one JSON document whose views
// say "containerd": "unavailable", with the notice on stderr.
func assertPSJSONUnavailable(t *testing.T, env *harness.Env, dir string) {
	t.Helper()
	code, out, errOut := cliRun(t, env, dir, "ps", "--json")
	var views []struct {
		Name       string `json:"name"`
		Containerd string `json:"containerd"`
	}
	if err := json.Unmarshal([]byte(out), &views); err != nil || code != 0 || len(views) != 2 ||
		!strings.Contains(errOut, "containerd unavailable") {
		t.Fatalf("ps --json while containerd is down: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	for _, v := range views {
		if v.Containerd != "unavailable" {
			t.Errorf("ps --json view %s: containerd %q, want unavailable", v.Name, v.Containerd)
		}
	}
}

// awaitText waits until output() contains want (a log line of another process).
func awaitText(t *testing.T, output func() string, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(output(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %s in:\n%s", want, timeout, output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
