package integration

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// Issue 13: exec runs in the running container with its environment (the injected
// references included) plus -e, as -u in -w, streams stdin with -i, and ends with the
// command's exit code; bad input changes nothing and says why.
func TestCLIExec(t *testing.T) {
	env := harness.Require(t)
	dir := dayStack(t, env, "cliexec")

	code, out, errOut := cliRun(t, env, dir, "exec", "-e", "EXTRA=x y", "shell", "--", "sh", "-c", `echo "$WEB_ADDR|$EXTRA"; exit 7`)
	if code != 7 || out != "http://web:8080|x y\n" {
		t.Errorf("exec with env: exit %d, stdout %q, stderr %q; want 7 and the container's env plus -e", code, out, errOut)
	}
	code, out, errOut = cliRun(t, env, dir, "exec", "-u", "nobody", "-w", "/tmp", "shell", "sh", "-c", "pwd; id -u; echo $HOME; echo err >&2")
	if code != 0 || out != "/tmp\n65534\n/nonexistent\n" || errOut != "err\n" {
		t.Errorf("exec -u nobody -w /tmp without --: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, errOut = cliRunInput(t, env, dir, "line one\nline two\n", "exec", "-i", "shell", "--", "wc", "-l")
	if code != 0 || strings.TrimSpace(out) != "2" {
		t.Errorf("exec -i wc -l: exit %d, stdout %q, stderr %q; want 2 lines read to the end", code, out, errOut)
	}
	code, out, _ = cliRunInput(t, env, dir, "ignored\n", "exec", "shell", "--", "cat")
	if code != 0 || out != "" {
		t.Errorf("exec without -i read stdin: exit %d, stdout %q", code, out)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"exec", "shel", "--", "true"}, 1, `error: unknown resource "shel" in project "cliexec" (did you mean "shell"?)`},
		{[]string{"exec", "shell", "-u", "root", "id"}, 2, "error: -u after the resource name is ambiguous: put lsctl exec's flags before RESOURCE and the command after --, as in: lsctl exec shell -- CMD"},
		{[]string{"exec", "shell"}, 2, "error: missing command to run after shell"},
		{[]string{"exec", "shell", "--", "no-such-program"}, 127, "no-such-program"},
		{[]string{"exec", "-u", "nosuchuser", "shell", "--", "true"}, 1, `user "nosuchuser"`},
		{[]string{"exec", "-t", "-T", "shell", "--", "true"}, 2, "-t and -T contradict each other"},
	} {
		code, out, errOut := cliRun(t, env, dir, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("lsctl %s: exit %d, stdout %q, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, out, errOut, tc.code, tc.want)
		}
	}
}

// Issue 13: a signal lsctl exec receives reaches the process, and the process's exit
// code (here after handling SIGTERM) is lsctl's.
func TestCLIExecForwardsSignals(t *testing.T) {
	env := harness.Require(t)
	dir := dayStack(t, env, "cliexecsig")
	cmd := exec.Command(harness.Binary(t), "exec", "shell", "--", "sh", "-c",
		`trap 'echo got TERM; exit 5' TERM; echo ready; while :; do sleep 0.1; done`)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env.Environ(t)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("exec did not start the process: %q (%v)", lines.Text(), lines.Err())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !lines.Scan() || lines.Text() != "got TERM" {
		t.Errorf("the process did not get SIGTERM: %q", lines.Text())
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 5 {
		t.Errorf("lsctl exec after SIGTERM: %v, want exit 5 (the process's)", err)
	}
}

// Issue 13: on a terminal, exec defaults to -it: the shell gets a pseudo-terminal of
// the caller's size that follows resizes, Ctrl-C interrupts the program in the
// container (not lsctl), and the shell's exit code is lsctl's.
func TestCLIExecTerminal(t *testing.T) {
	env := harness.Require(t)
	dir := dayStack(t, env, "cliexectty")
	sh := startFgLsctl(t, env, dir, true, "exec", "shell", "sh")
	if err := pty.Setsize(sh.ptmx, &pty.Winsize{Rows: 30, Cols: 100}); err != nil {
		t.Fatal(err)
	}
	sh.await("# ", time.Minute)
	typeLine(t, sh, "stty size; tty")
	sh.await("30 100", 30*time.Second)
	sh.await("/dev/pts/", 30*time.Second)
	if err := pty.Setsize(sh.ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	// SIGWINCH reaches lsctl asynchronously: ask until the new size shows.
	for i := 0; !strings.Contains(sh.output(), "40 120"); i++ {
		if i == 50 {
			t.Fatalf("the container's terminal did not follow the resize:\n%s", sh.output())
		}
		typeLine(t, sh, fmt.Sprintf("stty size; echo size''%d", i))
		sh.await(fmt.Sprintf("size%d", i), 30*time.Second)
	}
	// The quotes keep the echoed command line from matching what the program prints.
	typeLine(t, sh, "sleep 30")
	// Ctrl-C must find sleep running (a second exec sees it), not the shell about to start it.
	waitForCLI(t, func() bool {
		_, ps, _ := cliRun(t, env, dir, "exec", "shell", "--", "ps", "-o", "args")
		return strings.Contains(ps, "\nsleep 30\n")
	})
	sh.interrupt()
	typeLine(t, sh, "echo sleep''-rc=$?")
	sh.await("sleep-rc=130", 10*time.Second)
	typeLine(t, sh, "exit 3")
	if code := sh.exitCode(30 * time.Second); code != 3 {
		t.Errorf("lsctl exec after `exit 3`: exit %d, want 3\n%s", code, sh.output())
	}
}

// typeLine types a line on the terminal of u.
func typeLine(t *testing.T, u *fgUp, line string) {
	t.Helper()
	if _, err := u.ptmx.Write([]byte(line + "\r")); err != nil {
		t.Fatalf("type %q: %v", line, err)
	}
}
