package integration

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// Bounds of a teardown step that containerd does not answer: --grace 1s plus the
// 30 s margin (containerdrt.TeardownMargin), with slack for a loaded machine.
const (
	frozenStepMin = 25 * time.Second
	frozenStepMax = 50 * time.Second
)

// noAnswer matches the error of a container that could not be removed in time.
func noAnswer(project, resource string) *regexp.Regexp {
	return regexp.MustCompile(regexp.QuoteMeta(fmt.Sprintf(`error: could not remove container %s of resource %q: `,
		plan.ContainerID(project, resource), resource)) + `deadline exceeded: containerd did not answer in 3\ds`)
}

const noAnswerHint = "hint: containerd did not answer, so something may be left; once it answers again, run lsctl down to remove the rest"

// frozenManifest: base's PID 1 traps SIGTERM, so stopping it waits out the grace;
// app (PID 1 is sleep, no handler) is killed at once. deps makes app depend on base.
func frozenManifest(project string, deps bool) string {
	bb := harness.ImageRef("busybox")
	dependsOn := ""
	if deps {
		dependsOn = "\n      depends_on: [base]"
	}
	return fmt.Sprintf(`project: {name: %s}
resources:
  base:
    container:
      image: %s
      command: "trap 'echo term' TERM; while :; do sleep 1; done"
  app:
    container:
      image: %s
      command: "exec sleep 3600"%s
`, project, bb, bb, dependsOn)
}

// Issue 11 item 4: `down` with containerd frozen (SIGSTOP) in the middle of the
// background supervisor's ordered shutdown exits 1 after grace + 30 s (and the few
// seconds of its own attempt to connect) naming the container that could not be
// removed; once containerd is back, the next `down` removes the rest.
func TestCLIDownWithFrozenContainerd(t *testing.T) {
	env, daemon := harness.RequireDaemon(t, "frz-down")
	const project = "frzdown"
	dir := cliWriteManifest(t, frozenManifest(project, true))
	cliLoadImages(t, env, dir, "busybox")
	if code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never"); code != 0 {
		t.Fatalf("up -d: exit %d\n%s%s", code, out, errOut)
	}
	t.Cleanup(func() { cliRun(t, env, dir, "down", "--grace", "1s") }) // when the test fails early
	cmd := exec.Command(harness.Binary(t), "down", "--grace", "1s")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env.Environ(t)...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// app goes first (it depends on base); base then waits out its 1 s grace, during
	// which containerd is frozen: its SIGKILL and removal get no answer.
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if sc.Text() == "app: stopped" {
			break
		}
	}
	daemon.Freeze()
	frozen := time.Now()
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
	}
	var ee *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("down with containerd frozen: %v, want exit 1\n%s%s", err, out.String(), errb.String())
	}
	took := time.Since(frozen)
	daemon.Thaw()
	if took < frozenStepMin || took > frozenStepMax {
		t.Errorf("down ended %s after containerd froze, want grace + 30 s", took)
	}
	if !noAnswer(project, "base").MatchString(errb.String()) || !strings.Contains(errb.String(), noAnswerHint) ||
		!strings.Contains(errb.String(), "error: cannot connect to containerd at "+env.Address) {
		t.Errorf("stderr does not name base's container, the unreachable containerd and the hint:\n%s", errb.String())
	}
	if strings.Contains(out.String(), "base: stopped") {
		t.Errorf("base reported stopped:\n%s", out.String())
	}
	code, outAgain, errAgain := cliRun(t, env, dir, "down", "--grace", "1s")
	if code != 0 || !strings.Contains(outAgain, "base: stopped") {
		t.Fatalf("the second down: exit %d\n%s%s", code, outAgain, errAgain)
	}
	assertProjectGone(t, env, project)
}

// Issue 11 item 4: Ctrl-C on a foreground `up` whose containerd is frozen does not
// hang: after grace + 30 s it exits 1 naming both containers it could not remove, and
// a `down` once containerd is back removes them.
func TestCLIForegroundUpWithFrozenContainerd(t *testing.T) {
	env, daemon := harness.RequireDaemon(t, "frz-up")
	const project = "frzup"
	dir := cliWriteManifest(t, frozenManifest(project, false))
	cliLoadImages(t, env, dir, "busybox")
	up := startFgUp(t, env, dir, false, "--pull", "never", "--grace", "1s")
	up.await("["+project+"] ready: 2 resource(s)", 2*time.Minute)
	daemon.Freeze()
	frozen := time.Now()
	up.signal(syscall.SIGINT)
	code := up.exitCode(frozenStepMax + 30*time.Second)
	took := up.exitAt.Sub(frozen)
	daemon.Thaw()
	output := up.output()
	if code != 1 {
		t.Fatalf("up after SIGINT with containerd frozen: exit %d, want 1\n%s", code, output)
	}
	// Independent resources stop in parallel: one deadline, not two.
	if took < frozenStepMin || took > frozenStepMax {
		t.Errorf("up exited %s after SIGINT, want grace + 30 s", took)
	}
	for _, r := range []string{"base", "app"} {
		if !noAnswer(project, r).MatchString(output) {
			t.Errorf("output does not name %s's container:\n%s", r, output)
		}
	}
	if !strings.Contains(output, noAnswerHint) {
		t.Errorf("output lacks the hint:\n%s", output)
	}
	code, out, errOut := cliRun(t, env, dir, "down", "--grace", "1s")
	if code != 0 || !containsAll(out, "base: stopped", "app: stopped") {
		t.Fatalf("down after containerd is back: exit %d\n%s%s", code, out, errOut)
	}
	assertProjectGone(t, env, project)
}
