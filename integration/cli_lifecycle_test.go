package integration

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// cliRun runs the built lsctl with env's settings and returns its exit code and output.
func cliRun(t *testing.T, env *harness.Env, dir string, args ...string) (int, string, string) {
	t.Helper()
	return cliRunInput(t, env, dir, "", args...)
}

// cliProject writes a two-resource manifest: an HTTP server with a healthcheck and a
// job that depends on it and logs a line.
func cliProject(t *testing.T, project string) string {
	t.Helper()
	dir := t.TempDir()
	manifest := `project:
  name: ` + project + `
resources:
  web:
    container:
      image: ` + harness.ImageRef("app") + `
      healthcheck:
        test: ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/"]
        interval: 1s
        start_interval: 100ms
  job:
    container:
      image: ` + harness.ImageRef("busybox") + `
      command: "echo hello from job; trap 'exit 0' TERM; while :; do sleep 1; done"
      depends_on: [web]
`
	if err := os.WriteFile(filepath.Join(dir, "lightshuttle.yml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// cliLoadImages loads the test archives through `lsctl images load` (docs/spec/runtime.md §9.4).
func cliLoadImages(t *testing.T, env *harness.Env, dir string, shorts ...string) {
	t.Helper()
	for _, short := range shorts {
		code, out, errOut := cliRun(t, env, dir, "images", "load", env.Archive(t, short))
		if code != 0 || !strings.Contains(out, "loaded ") {
			t.Fatalf("images load %s: exit %d\n%s%s", short, code, out, errOut)
		}
	}
}

// docs/spec/runtime.md §17 items 71, 55, 65, 49, 53, 17: up -d, ps, logs, direct restart, down.
func TestCLIDetachedLifecycle(t *testing.T) {
	env := harness.Require(t)
	dir := cliProject(t, "cliit")
	cliLoadImages(t, env, dir, "app", "busybox")
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 0 || !strings.Contains(out, "[cliit] ready: 2 resource(s) in ") {
		t.Fatalf("up -d: exit %d\n%s%s", code, out, errOut)
	}
	t.Cleanup(func() { cliRun(t, env, dir, "down", "--volumes") })
	for _, want := range []string{"web: starting", "web: healthy after ", "job: running"} {
		if !strings.Contains(out, want) {
			t.Errorf("up output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = cliRun(t, env, dir, "ps")
	if code != 0 || !strings.HasPrefix(out, "NAME") || !containsAll(out, "web   container  healthy", "job   container  running") {
		t.Errorf("ps: exit %d\n%s", code, out)
	}
	waitForCLI(t, func() bool {
		_, out, _ := cliRun(t, env, dir, "logs", "--no-prefix", "job")
		return strings.Contains(out, "hello from job")
	})
	// The background supervisor restarts it (issue 11).
	code, out, errOut = cliRun(t, env, dir, "restart", "job")
	if code != 0 || out != "job: restart accepted\njob: stopped\njob: started\njob: running\n" {
		t.Errorf("restart through the supervisor: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = cliRun(t, env, dir, "down")
	if code != 0 || !containsAll(out, "job: stopped", "web: stopped", "[cliit] network lightshuttle-cliit removed") {
		t.Errorf("down: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Index(out, "job: stopped") > strings.Index(out, "web: stopped") {
		t.Errorf("down stopped web before its dependent job:\n%s", out)
	}
	code, out, _ = cliRun(t, env, dir, "down")
	if code != 0 || !strings.Contains(out, "[cliit] nothing to stop") {
		t.Errorf("second down: exit %d\n%s", code, out)
	}
}

// docs/spec/runtime.md §17 items 50, 62, 46: a foreground up serves the control API, restarts
// through it, and SIGINT stops everything with exit 130.
func TestCLIForegroundUp(t *testing.T) {
	env := harness.Require(t)
	dir := cliProject(t, "clifg")
	cliLoadImages(t, env, dir, "app", "busybox")
	cmd := exec.Command(harness.Binary(t), "up", "--pull", "never", "--grace", "2s")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env.Environ(t)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); cliRun(t, env, dir, "down") })
	lines := make(chan string, 256)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var seen []string
	waitLine := func(prefix string) {
		t.Helper()
		timeout := time.After(2 * time.Minute)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("up ended before %q; output:\n%s\nstderr:\n%s", prefix, strings.Join(seen, "\n"), errb.String())
				}
				seen = append(seen, l)
				if strings.HasPrefix(l, prefix) {
					return
				}
			case <-timeout:
				t.Fatalf("no line %q within 2m; output:\n%s", prefix, strings.Join(seen, "\n"))
			}
		}
	}
	waitLine("[clifg] ready: ")
	sock := filepath.Join(env.DataRoot, "projects", "clifg", "control.sock")
	if st, err := os.Stat(sock); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("control socket: %v %v", err, st)
	}
	code, out, errOut := cliRun(t, env, dir, "restart", "web")
	if code != 0 || out != "web: restart accepted\nweb: stopped\nweb: started\nweb: healthy\n" {
		t.Errorf("restart via API: exit %d\n%s%s", code, out, errOut)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	waitLine("[clifg] stopped")
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("up exit: %v, want 130; stderr:\n%s", err, errb.String())
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("control socket left behind: %v", err)
	}
}

// waitForCLI polls cond: log files fill asynchronously, without an event to await.
func waitForCLI(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// docs/spec/runtime.md §17 item 54: down while a foreground up runs sends it SIGTERM (exit 143),
// waits for it, and leaves nothing of the project.
func TestCLIDownStopsForegroundUp(t *testing.T) {
	env := harness.Require(t)
	dir := cliProject(t, "clidn")
	cliLoadImages(t, env, dir, "app", "busybox")
	cmd := exec.Command(harness.Binary(t), "up", "--pull", "never", "--quiet", "--grace", "2s")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env.Environ(t)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); cliRun(t, env, dir, "down") })
	sock := filepath.Join(env.DataRoot, "projects", "clidn", "control.sock")
	waitForCLI(t, func() bool {
		code, out, _ := cliRun(t, env, dir, "ps")
		_, err := os.Stat(sock)
		return err == nil && code == 0 && strings.Contains(out, "healthy")
	})
	code, downOut, downErr := cliRun(t, env, dir, "down")
	want := fmt.Sprintf("[clidn] asking lsctl up (pid %d) to stop", cmd.Process.Pid)
	if code != 0 || !strings.Contains(downOut, want) {
		t.Errorf("down: exit %d\n%s%s", code, downOut, downErr)
	}
	err := <-exited
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 143 {
		t.Errorf("up exit %v, want 143; stderr:\n%s", err, errb.String())
	}
	code, psOut, _ := cliRun(t, env, dir, "ps")
	if code != 0 || strings.Contains(psOut, "running") || strings.Contains(psOut, "healthy") {
		t.Errorf("after down, ps:\n%s", psOut)
	}
}

// docs/spec/runtime.md §17 items 29 and 31: a missing image with --pull never fails the startup
// naming the image; a docker save archive loads under its familiar name.
func TestCLIPullNeverAndDockerArchive(t *testing.T) {
	env := harness.Require(t)
	dir := cliProject(t, "clipn")
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 1 || !strings.Contains(out+errOut, "is not present and --pull=never") {
		t.Errorf("up --pull never without images: exit %d\n%s%s", code, out, errOut)
	}
	// Both images are missing: whichever resource fails first is reported.
	if !strings.Contains(errOut, `error: startup failed: resource "`) || !strings.Contains(errOut, "last 20 log lines of ") {
		t.Errorf("no failure report:\n%s", errOut)
	}
	code, out, errOut = cliRun(t, env, dir, "images", "load", env.Archive(t, "busybox-docker"))
	if code != 0 || out != "loaded busybox:lsctl-test\n" {
		t.Errorf("images load docker archive: exit %d\n%s%s", code, out, errOut)
	}
	f, err := os.Open(env.Archive(t, "app"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(harness.Binary(t), "images", "load", "-")
	cmd.Dir, cmd.Stdin = dir, f
	cmd.Env = append(os.Environ(), env.Environ(t)...)
	if out, err := cmd.CombinedOutput(); err != nil || string(out) != "loaded localhost/lsctl-test/app:1\n" {
		t.Errorf("images load - : %v\n%s", err, out)
	}
}

// docs/spec/runtime.md §17 items 20 and 21: a requested host port held by a host process is
// rewritten (printed by up, shown by ps); with --strict up fails before creating
// anything.
func TestCLIPortRewrite(t *testing.T) {
	env := harness.Require(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	manifest := fmt.Sprintf("project: {name: cliport}\nresources:\n  web:\n    container:\n      image: %s\n      ports: [\"%d:8080\"]\n", harness.ImageRef("app"), port)
	if err := os.WriteFile(filepath.Join(dir, "lightshuttle.yml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	cliLoadImages(t, env, dir, "app")
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--strict", "--pull", "never")
	if code != 1 || strings.Contains(out, "web: starting") {
		t.Errorf("up --strict with a busy port: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = cliRun(t, env, dir, "up", "-d", "--pull", "never")
	t.Cleanup(func() { cliRun(t, env, dir, "down") })
	want := fmt.Sprintf("web: port 127.0.0.1:%d is in use; publishing 127.0.0.1:", port)
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("up: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = cliRun(t, env, dir, "ps")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("->8080 (requested %d)", port)) {
		t.Errorf("ps:\n%s", out)
	}
}
