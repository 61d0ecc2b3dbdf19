package integration

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// Issue 11 item 3: `lsctl up | head -n 2`: head exits after two lines, so up's next
// write fails with EPIPE. up must go on supervising, and SIGINT must still tear the
// whole stack down in order, exit 130, and leave its lines in supervisor.log.
func TestCLIUpOutputPipeClosed(t *testing.T) {
	env := harness.Require(t)
	const project = "clipipe"
	dir := cliWriteManifest(t, supervisedManifest(project, jobCommand))
	cliLoadImages(t, env, dir, "app", "busybox")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	up := exec.Command(harness.Binary(t), "up", "--pull", "never", "--grace", "2s")
	up.Dir, up.Env = dir, append(os.Environ(), env.Environ(t)...)
	up.Stdout, up.Stderr = w, w
	head := exec.Command("head", "-n", "2")
	head.Stdin = r
	var headOut strings.Builder
	head.Stdout = &headOut
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = up.Process.Kill(); cliRun(t, env, dir, "down") })
	if err := head.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	r.Close()
	if err := head.Wait(); err != nil {
		t.Fatalf("head: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- up.Wait() }()
	// Ready after the pipe closed: up wrote several lines into the dead pipe.
	waitForCLI(t, func() bool {
		_, out, _ := cliRun(t, env, dir, "ps")
		return containsAll(out, "web   container  healthy", "job   container  running")
	})
	select {
	case err := <-exited:
		t.Fatalf("up died after its output pipe closed: %v\nhead read:\n%s", err, headOut.String())
	default:
	}
	if err := up.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = <-exited
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("up after SIGINT: %v, want exit 130", err)
	}
	assertProjectGone(t, env, project)
	log, _ := os.ReadFile(filepath.Join(plan.ProjectDir(env.DataRoot, project), "supervisor.log"))
	if !containsAll(string(log), "["+project+"] ready: 2 resource(s)", "job: stopped", "web: stopped", "["+project+"] stopped") {
		t.Errorf("supervisor.log lacks up's lines:\n%s", log)
	}
}

// Issue 11 item 3: the terminal of a foreground up goes away (its pty master is
// closed, as when a terminal window or an ssh session is closed): the kernel sends
// SIGHUP, and up tears everything down and exits 129.
func TestCLIUpTerminalClosed(t *testing.T) {
	env := harness.Require(t)
	const project = "clihup"
	dir := cliWriteManifest(t, supervisedManifest(project, jobCommand))
	cliLoadImages(t, env, dir, "app", "busybox")
	up := startFgUp(t, env, dir, true, "--pull", "never", "--grace", "2s")
	up.await("["+project+"] ready: 2 resource(s)", 2*time.Minute)
	if err := up.ptmx.Close(); err != nil {
		t.Fatal(err)
	}
	if code := up.exitCode(60 * time.Second); code != 129 {
		t.Errorf("up after its terminal closed: exit %d, want 129", code)
	}
	assertProjectGone(t, env, project)
}

// Issue 11 item 3: SIGHUP means SIGTERM: ordered teardown, exit 129.
func TestCLIUpSighup(t *testing.T) {
	env := harness.Require(t)
	const project = "clisighup"
	dir := cliWriteManifest(t, supervisedManifest(project, jobCommand))
	cliLoadImages(t, env, dir, "app", "busybox")
	up := startFgUp(t, env, dir, false, "--pull", "never", "--grace", "2s")
	up.await("["+project+"] ready: 2 resource(s)", 2*time.Minute)
	up.signal(syscall.SIGHUP)
	if code := up.exitCode(60 * time.Second); code != 129 {
		t.Errorf("up after SIGHUP: exit %d, want 129\n%s", code, up.output())
	}
	out := up.output()
	if !containsAll(out, "job: stopped", "web: stopped", "["+project+"] stopped") ||
		strings.Index(out, "job: stopped") > strings.Index(out, "web: stopped") {
		t.Errorf("up after SIGHUP did not stop in reverse order:\n%s", out)
	}
	assertProjectGone(t, env, project)
}
