package integration

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// psStatus is a resource's STATUS column in `lsctl ps`.
func psStatus(t *testing.T, env *harness.Env, dir, resource string) string {
	t.Helper()
	_, out, _ := cliRun(t, env, dir, "ps")
	m := regexp.MustCompile(`(?m)^` + resource + `\s+\S+\s+(\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("ps lists no %s:\n%s", resource, out)
	}
	return m[1]
}

// createdAt is when containerd created container id: equal times mean the same container.
func createdAt(t *testing.T, env *harness.Env, id string) time.Time {
	t.Helper()
	c, ctx := ctrClient(t, env)
	ctr, err := c.LoadContainer(ctx, id)
	if err != nil {
		t.Fatalf("load container %s: %v", id, err)
	}
	info, err := ctr.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.CreatedAt
}

// Issue 13: with a background supervisor, stop keeps the container and the resource
// stays stopped (its restart policy does not bring it back); start brings the stopped
// dependency first, health-gated, in the same container; a kill by hand is a stop.
func TestCLIStopStartSupervised(t *testing.T) {
	env := harness.Require(t)
	const project = "clistopsup"
	dir := dayStack(t, env, project)
	events := subscribeEvents(t, controlSocket(env, project))
	webID := plan.ContainerID(project, "web")
	created := createdAt(t, env, webID)

	code, out, errOut := cliRun(t, env, dir, "stop", "web")
	if code != 0 || out != "web: stopped\n" || errOut != "warning: shell depends on web and keeps running; lsctl stop --with-dependents web stops it first\n" {
		t.Fatalf("stop web: exit %d\n%s%s", code, out, errOut)
	}
	awaitEvent(t, events, "resource_stopped", "web", 10*time.Second)
	code, out, errOut = cliRun(t, env, dir, "stop", "shell")
	if code != 0 || out != "shell: stopped\n" {
		t.Fatalf("stop shell: exit %d\n%s%s", code, out, errOut)
	}
	if s := psStatus(t, env, dir, "shell"); s != "stopped" {
		t.Errorf("ps: shell is %s after stop, want stopped", s)
	}
	// The policy (always) would retry after 1 s: nothing may happen in twice that.
	quiet := time.After(2500 * time.Millisecond)
	for waiting := true; waiting; {
		select {
		case e := <-events:
			if e.Resource == "shell" && e.Type != "resource_stopping" && e.Type != "resource_stopped" {
				t.Fatalf("after stop by hand, shell got %s", e.Type)
			}
		case <-quiet:
			waiting = false
		}
	}

	code, out, errOut = cliRun(t, env, dir, "start", "shell")
	if code != 0 || out != "web: started\nweb: healthy\nshell: started\nshell: running\n" {
		t.Fatalf("start shell: exit %d\n%s%s", code, out, errOut)
	}
	if got := createdAt(t, env, webID); !got.Equal(created) {
		t.Errorf("start recreated web (created %s, was %s); it must reuse the kept container", got, created)
	}
	if code, out, _ := cliRun(t, env, dir, "exec", "shell", "--", "wget", "-qO-", "http://web:8080/"); code != 0 || out == "" {
		t.Errorf("shell cannot reach web after start: exit %d", code)
	}

	code, out, errOut = cliRun(t, env, dir, "kill", "shell")
	if code != 0 || out != "shell: sent SIGKILL\n" {
		t.Fatalf("kill shell: exit %d\n%s%s", code, out, errOut)
	}
	awaitEvent(t, events, "resource_stopped", "shell", 10*time.Second)
	if s := psStatus(t, env, dir, "shell"); s != "stopped" {
		t.Errorf("ps: shell is %s after kill, want stopped", s)
	}
	if code, _, errOut := cliRun(t, env, dir, "exec", "shell", "--", "true"); code != 1 || !strings.Contains(errOut, `resource "shell" is not running (status stopped)`) {
		t.Errorf("exec in a killed resource: exit %d, %s", code, errOut)
	}
	shellCreated := createdAt(t, env, plan.ContainerID(project, "shell"))
	if code, out, errOut := cliRun(t, env, dir, "start"); code != 0 || out != "web: already running\nshell: started\nshell: running\n" {
		t.Errorf("start: exit %d\n%s%s", code, out, errOut)
	}
	if got := createdAt(t, env, plan.ContainerID(project, "shell")); !got.Equal(shellCreated) {
		t.Errorf("start after a kill by hand recreated shell; it must reuse the kept container, as after a stop")
	}
	if code, _, errOut := cliRun(t, env, dir, "down"); code != 0 {
		t.Fatalf("down: %s", errOut)
	}
	assertProjectGone(t, env, project)
}

// Issue 13: without an owner, stop, start and kill act on containerd directly under
// the project lock; ps tells a resource stopped by hand from one that exited, and a
// kill that ends the task is a stop by hand, as with an owner.
func TestCLIStopStartDirect(t *testing.T) {
	env := harness.Require(t)
	const project = "clistopdir"
	dir := dayStack(t, env, project)
	releaseOwner(t, env, project)
	shellID := plan.ContainerID(project, "shell")
	created := createdAt(t, env, shellID)

	if code, out, errOut := cliRun(t, env, dir, "stop", "--with-dependents", "web"); code != 0 || out != "shell: stopped\nweb: stopped\n" || errOut != "" {
		t.Fatalf("stop --with-dependents web: exit %d\n%s%s", code, out, errOut)
	}
	if s := psStatus(t, env, dir, "web"); s != "stopped" {
		t.Errorf("ps: web is %s after stop, want stopped", s)
	}
	if code, out, _ := cliRun(t, env, dir, "stop", "web"); code != 0 || out != "web: already stopped\n" {
		t.Errorf("second stop: exit %d, %q", code, out)
	}
	if code, out, errOut := cliRun(t, env, dir, "start"); code != 0 || out != "web: started\nweb: healthy\nshell: started\nshell: running\n" {
		t.Fatalf("start: exit %d\n%s%s", code, out, errOut)
	}
	if got := createdAt(t, env, shellID); !got.Equal(created) {
		t.Errorf("start recreated shell; it must reuse the kept container")
	}
	if code, out, errOut := cliRun(t, env, dir, "kill", "-s", "TERM", "shell"); code != 0 || out != "shell: sent SIGTERM\n" || errOut != "" {
		t.Fatalf("kill -s TERM shell: exit %d\n%s%s", code, out, errOut)
	}
	// As with an owner, a kill that ends the task is a stop by hand: stopped, kept for a quick start.
	if s := psStatus(t, env, dir, "shell"); s != "stopped" {
		t.Errorf("ps: shell is %s after a direct kill, want stopped", s)
	}
	if code, out, errOut := cliRun(t, env, dir, "start", "shell"); code != 0 || out != "shell: started\nshell: running\n" {
		t.Fatalf("start shell after kill: exit %d\n%s%s", code, out, errOut)
	}
	if got := createdAt(t, env, shellID); !got.Equal(created) {
		t.Errorf("start after a direct kill recreated shell; it must reuse the kept container")
	}
	// A signal that PID 1 drops ends nothing and records nothing.
	if code, _, errOut := cliRun(t, env, dir, "kill", "-s", "USR1", "shell"); code != 0 || !strings.Contains(errOut, "no handler for SIGUSR1") {
		t.Errorf("kill -s USR1 shell: exit %d, %s", code, errOut)
	}
	if s := psStatus(t, env, dir, "shell"); s != "running" {
		t.Errorf("ps: shell is %s after a dropped signal, want running", s)
	}
	if code, _, errOut := cliRun(t, env, dir, "kill", "-s", "SIGNOPE", "web"); code != 2 || !strings.Contains(errOut, `invalid value "SIGNOPE" for --signal`) {
		t.Errorf("kill -s SIGNOPE: exit %d, %s", code, errOut)
	}
	if code, _, errOut := cliRun(t, env, dir, "down"); code != 0 {
		t.Fatalf("down: %s", errOut)
	}
	assertProjectGone(t, env, project)
}
