package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// Issue 13: run makes a one-off container from a resource's definition (environment
// with references resolved, network and names), starts its stopped dependencies
// first, streams stdin with -i, ends with the container's exit code, removes it by
// default; a kept one is named <project>_<resource>_run_<id>, publishes nothing, is
// left alone by the supervisor and removed by down.
func TestCLIRun(t *testing.T) {
	env := harness.Require(t)
	const project = "clirun"
	dir := dayStack(t, env, project)
	if code, _, errOut := cliRun(t, env, dir, "stop", "web"); code != 0 {
		t.Fatalf("stop web: %s", errOut)
	}
	code, out, errOut := cliRun(t, env, dir, "run", "shell", "--", "sh", "-c",
		`echo "$WEB_ADDR"; wget -qO/dev/null http://web:8080/ && echo reached; exit 4`)
	if code != 4 || out != "http://web:8080\nreached\n" || !strings.Contains(errOut, "web: started\nweb: healthy\n") {
		t.Fatalf("run shell: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	if ids := runContainers(t, env, project); len(ids) != 0 {
		t.Errorf("run left containers behind without --rm=false: %v", ids)
	}
	if code, out, errOut := cliRunInput(t, env, dir, "line\n", "run", "-i", "--no-deps", "shell", "cat"); code != 0 || out != "line\n" {
		t.Errorf("run -i cat: exit %d %q %s", code, out, errOut)
	}

	code, _, errOut = cliRun(t, env, dir, "run", "--rm=false", "--no-deps", "shell", "--", "true")
	ids := runContainers(t, env, project)
	if code != 0 || len(ids) != 1 || !regexp.MustCompile(`^clirun_shell_run_[0-9a-f]{6}$`).MatchString(ids[0]) {
		t.Fatalf("run --rm=false: exit %d, containers %v, %s", code, ids, errOut)
	}
	if !strings.Contains(errOut, "kept the container "+ids[0]) {
		t.Errorf("run --rm=false does not say what it kept: %q", errOut)
	}
	if _, out, _ := cliRun(t, env, dir, "ps"); strings.Contains(out, "_run_") {
		t.Errorf("ps lists the one-off:\n%s", out)
	}
	if code, _, errOut := cliRun(t, env, dir, "run", "--no-deps", "nope"); code != 1 || !strings.Contains(errOut, `unknown resource "nope"`) {
		t.Errorf("run nope: exit %d %s", code, errOut)
	}
	code, out, errOut = cliRun(t, env, dir, "down")
	if code != 0 || !strings.Contains(out, "shell_run_") {
		t.Errorf("down: exit %d\n%s%s", code, out, errOut)
	}
	assertProjectGone(t, env, project)
}

// runContainers lists the one-off containers of project.
func runContainers(t *testing.T, env *harness.Env, project string) []string {
	t.Helper()
	c, ctx := ctrClient(t, env)
	ctrs, err := c.Containers(ctx, `labels."`+plan.LabelProject+`"==`+project+`,labels."`+plan.LabelRun+`"`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ctr := range ctrs {
		ids = append(ids, ctr.ID())
	}
	return ids
}

// Issue 13: on a terminal, run defaults to -it: the one-off gets a pseudo-terminal of
// the caller's size, and its exit code is lsctl's.
func TestCLIRunTerminal(t *testing.T) {
	env := harness.Require(t)
	dir := dayStack(t, env, "clirunty")
	sh := startFgLsctl(t, env, dir, true, "run", "--no-deps", "shell", "sh")
	sh.await("# ", time.Minute)
	typeLine(t, sh, "stty size; tty; exit 5")
	sh.await("50 160", 30*time.Second)
	sh.await("/dev/pts/", 30*time.Second)
	if code := sh.exitCode(30 * time.Second); code != 5 {
		t.Errorf("lsctl run after `exit 5`: exit %d\n%s", code, sh.output())
	}
	if ids := runContainers(t, env, "clirunty"); len(ids) != 0 {
		t.Errorf("the one-off was not removed: %v", ids)
	}
}

// Issue 13: run works on a project that was never up: it creates the network, starts
// the dependencies health-gated (they keep running, as with docker compose run), and
// the one-off reaches them by name; down then leaves nothing behind. With --no-deps
// only the network is created.
func TestCLIRunFreshProject(t *testing.T) {
	env := harness.Require(t)
	const project = "clirunfresh"
	dir := cliWriteManifest(t, dayManifest(project))
	cliLoadImages(t, env, dir, "app", "busybox")
	t.Cleanup(func() { cliRun(t, env, dir, "down") })

	code, out, errOut := cliRun(t, env, dir, "run", "--no-deps", "shell", "--", "sh", "-c", `wget -qO/dev/null -T 1 "$WEB_ADDR/" || echo alone`)
	if code != 0 || out != "alone\n" || strings.Contains(errOut, "web:") {
		t.Fatalf("run --no-deps on a fresh project: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	if s := psStatus(t, env, dir, "web"); s == "running" || s == "healthy" {
		t.Errorf("ps: web is %s after run --no-deps, want it not started", s)
	}
	if _, err := os.Stat(filepath.Join(env.DataRoot, "networks", plan.NetworkName(project)+".json")); err != nil {
		t.Errorf("run --no-deps created no network record: %v", err)
	}
	if code, _, errOut := cliRun(t, env, dir, "down"); code != 0 {
		t.Fatalf("down: %s", errOut)
	}
	assertProjectGone(t, env, project)

	code, out, errOut = cliRun(t, env, dir, "run", "shell", "--", "sh", "-c",
		`wget -qO/dev/null "$WEB_ADDR/" && echo reached`)
	if code != 0 || out != "reached\n" || !strings.Contains(errOut, "web: started\nweb: healthy\n") {
		t.Fatalf("run shell on a fresh project: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	if s := psStatus(t, env, dir, "web"); s != "running" && s != "healthy" {
		t.Errorf("ps: web is %s after run, want it kept running", s)
	}
	if code, out, errOut := cliRun(t, env, dir, "down"); code != 0 || !strings.Contains(out, "web") {
		t.Fatalf("down: exit %d\n%s%s", code, out, errOut)
	}
	assertProjectGone(t, env, project)
}
