package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// supervisedManifest is a web server and a job that depends on it and is restarted
// whenever it exits.
func supervisedManifest(project, jobCommand string) string {
	return fmt.Sprintf(`project: {name: %s}
resources:
  web:
    container:
      image: %s
      healthcheck:
        test: ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/"]
        interval: 1s
        start_interval: 100ms
  job:
    container:
      image: %s
      command: %q
      restart: always
      depends_on: [web]
`, project, harness.ImageRef("app"), harness.ImageRef("busybox"), jobCommand)
}

const jobCommand = "echo job up; trap 'exit 0' TERM; while :; do sleep 1; done"

var supervisedLine = regexp.MustCompile(`\[(\S+)\] supervised in the background \(pid (\d+), log (\S+)\)`)

// upDetached writes manifest for a fresh project directory, loads the test images it
// names, brings the stack up with up -d, and downs it after the test; it returns the
// directory and up's output.
func upDetached(t *testing.T, env *harness.Env, manifest string, images ...string) (string, string) {
	t.Helper()
	dir := cliWriteManifest(t, manifest)
	cliLoadImages(t, env, dir, images...)
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 0 {
		t.Fatalf("up -d: exit %d\n%s%s", code, out, errOut)
	}
	t.Cleanup(func() { cliRun(t, env, dir, "down") })
	return dir, out
}

// supervisorOf returns the pid and log of the supervisor named by up -d's output.
func supervisorOf(t *testing.T, out string) (int, string) {
	t.Helper()
	m := supervisedLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("up -d names no background supervisor:\n%s", out)
	}
	pid, _ := strconv.Atoi(m[2])
	return pid, m[3]
}

// assertDetached checks that pid leads its own session without a controlling
// terminal and reads /dev/null.
func assertDetached(t *testing.T, pid int) {
	t.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("supervisor pid %d: %v", pid, err)
	}
	// After "comm)": state ppid pgrp session tty_nr ...
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if f[3] != strconv.Itoa(pid) || f[4] != "0" {
		t.Errorf("supervisor pid %d: session %s, tty %s; want its own session and no terminal", pid, f[3], f[4])
	}
	if in, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/0", pid)); in != os.DevNull {
		t.Errorf("supervisor stdin is %q, want /dev/null", in)
	}
}

// awaitGone waits for a process to exit.
func awaitGone(t *testing.T, pid int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for containerdrt.ProcessAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs after %s", pid, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Issue 11 item 1: up -d leaves the stack to a background supervisor that enforces
// the restart policy; a second up -d takes over without restarting anything and
// recreates only what changed; a foreground up attaches, and its Ctrl-C tears down.
func TestCLIBackgroundSupervisor(t *testing.T) {
	env := harness.Require(t)
	const project = "clisv"
	dir := cliWriteManifest(t, supervisedManifest(project, jobCommand))
	cliLoadImages(t, env, dir, "app", "busybox")
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 0 || !strings.Contains(out, "["+project+"] ready: 2 resource(s) in ") {
		t.Fatalf("up -d: exit %d\n%s%s", code, out, errOut)
	}
	t.Cleanup(func() { cliRun(t, env, dir, "down") })
	pid, logPath := supervisorOf(t, out)
	if want := filepath.Join(plan.ProjectDir(env.DataRoot, project), "supervisor.log"); logPath != want || !containerdrt.ProcessAlive(pid) {
		t.Fatalf("supervisor pid %d (alive %v), log %s; want log %s", pid, containerdrt.ProcessAlive(pid), logPath, want)
	}
	assertDetached(t, pid)

	// The restart policy is enforced after up -d returned.
	c, ctx := ctrClient(t, env)
	jobID := plan.ContainerID(project, "job")
	events := subscribeEvents(t, controlSocket(env, project))
	if err := syscall.Kill(int(taskPID(t, c, ctx, jobID)), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	awaitEvent(t, events, "resource_exited", "job", 30*time.Second)
	awaitEvent(t, events, "resource_restarting", "job", 30*time.Second)
	awaitEvent(t, events, "resource_healthy", "job", 30*time.Second)
	code, out, _ = cliRun(t, env, dir, "ps")
	if code != 0 || !containsAll(out, "web   container  healthy", "job   container  running") || strings.Contains(out, "unsupervised") {
		t.Errorf("ps after the policy restart: exit %d\n%s", code, out)
	}
	if data, _ := os.ReadFile(logPath); !strings.Contains(string(data), "job: restarting (attempt 1)") {
		t.Errorf("supervisor.log lacks the restart line:\n%s", data)
	}

	// A second up -d with the same manifest changes nothing but the supervisor.
	pids := map[string]uint32{"web": taskPID(t, c, ctx, plan.ContainerID(project, "web")), "job": taskPID(t, c, ctx, jobID)}
	code, out, errOut = cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 0 || !containsAll(out, "web: reusing running container", "job: reusing running container") {
		t.Fatalf("second up -d: exit %d\n%s%s", code, out, errOut)
	}
	pid2, _ := supervisorOf(t, out)
	awaitGone(t, pid, 10*time.Second)
	for r, p := range pids {
		if now := taskPID(t, c, ctx, plan.ContainerID(project, r)); now != p {
			t.Errorf("second up -d restarted %s (pid %d -> %d)", r, p, now)
		}
	}

	// A changed manifest: the new supervisor recreates job, keeps web.
	changed := supervisedManifest(project, strings.Replace(jobCommand, "job up", "job v2", 1))
	if err := os.WriteFile(filepath.Join(dir, "lightshuttle.yml"), []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 0 || !strings.Contains(out, "web: reusing running container") || strings.Contains(out, "job: reusing") {
		t.Fatalf("up -d with a changed job: exit %d\n%s%s", code, out, errOut)
	}
	awaitGone(t, pid2, 10*time.Second)
	if now := taskPID(t, c, ctx, plan.ContainerID(project, "web")); now != pids["web"] {
		t.Errorf("the unchanged web was restarted (pid %d -> %d)", pids["web"], now)
	}
	if now := taskPID(t, c, ctx, jobID); now == pids["job"] {
		t.Errorf("the changed job kept its task (pid %d)", now)
	}
	pid3, _ := supervisorOf(t, out)

	// A foreground up attaches to the supervised stack; Ctrl-C stops it all.
	up := startFgUp(t, env, dir, true, "--pull", "never", "--grace", "2s")
	up.await("] attached to the background supervisor (pid ", 60*time.Second)
	up.await("web | ", 30*time.Second) // web's log (its probes' requests), followed live
	up.interrupt()
	if code := up.exitCode(60 * time.Second); code != 130 {
		t.Errorf("attached up after Ctrl-C: exit %d, want 130\n%s", code, up.output())
	}
	if !containsAll(up.output(), "job: stopped", "web: stopped") {
		t.Errorf("attached up did not show the teardown:\n%s", up.output())
	}
	awaitGone(t, pid3, 10*time.Second)
	assertProjectGone(t, env, project)
}

// Issue 11 item 1: a supervisor killed with SIGKILL leaves the stack running and
// unsupervised; up -d adopts it without restarting; down goes through the new
// supervisor and returns once it has exited and everything is removed.
func TestCLIKilledSupervisor(t *testing.T) {
	env := harness.Require(t)
	const project = "clisvk"
	dir, out := upDetached(t, env, supervisedManifest(project, jobCommand), "app", "busybox")
	pid, _ := supervisorOf(t, out)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	awaitGone(t, pid, 10*time.Second)
	code, out, _ := cliRun(t, env, dir, "ps")
	if code != 0 || !containsAll(out, "web   container  healthy", "job   container  running", "["+project+"] unsupervised") {
		t.Errorf("ps after the supervisor was killed: exit %d\n%s", code, out)
	}
	c, ctx := ctrClient(t, env)
	webPID := taskPID(t, c, ctx, plan.ContainerID(project, "web"))
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 0 || !strings.Contains(out, "web: reusing running container") {
		t.Fatalf("up -d after the supervisor was killed: exit %d\n%s%s", code, out, errOut)
	}
	if now := taskPID(t, c, ctx, plan.ContainerID(project, "web")); now != webPID {
		t.Errorf("adoption restarted web (pid %d -> %d)", webPID, now)
	}
	pid2, _ := supervisorOf(t, out)
	code, out, errOut = cliRun(t, env, dir, "down", "--grace", "2s")
	want := fmt.Sprintf("[%s] asking the background supervisor (pid %d) to stop", project, pid2)
	if code != 0 || !containsAll(out, want, "job: stopped", "web: stopped", "["+project+"] network lightshuttle-"+project+" removed") {
		t.Errorf("down: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Index(out, "job: stopped") > strings.Index(out, "web: stopped") {
		t.Errorf("down stopped web before its dependent job:\n%s", out)
	}
	if containerdrt.ProcessAlive(pid2) {
		t.Errorf("the supervisor (pid %d) still runs after down returned", pid2)
	}
	assertProjectGone(t, env, project)
}

// healthzPID is the pid that the control API on sock names as the stack's owner.
func healthzPID(t *testing.T, sock string) int {
	t.Helper()
	resp, err := controlClient(sock).Get("http://lsctl/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	defer resp.Body.Close()
	var h struct {
		PID int `json:"pid"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	return h.PID
}
