package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// crashManifest is a ticker printing a line every 200 ms and a job depending on it.
func crashManifest(project string) string {
	bb := harness.ImageRef("busybox")
	return fmt.Sprintf(`project: {name: %s}
resources:
  ticker:
    container:
      image: %s
      command: "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.2; done"
  job:
    container:
      image: %s
      command: "exec sleep 3600"
      depends_on: [ticker]
`, project, bb, bb)
}

// killedUp starts a foreground up, waits until it is ready and kills it with SIGKILL,
// leaving its containers, lock file and control socket behind.
func killedUp(t *testing.T, env *harness.Env, project string) string {
	t.Helper()
	dir := cliWriteManifest(t, crashManifest(project))
	cliLoadImages(t, env, dir, "busybox")
	up := startFgUp(t, env, dir, false, "--pull", "never", "--grace", "2s")
	up.await("["+project+"] ready: 2 resource(s)", 2*time.Minute)
	up.signal(syscall.SIGKILL)
	if code := up.exitCode(30 * time.Second); code != -1 {
		t.Fatalf("up killed by SIGKILL reported exit %d", code)
	}
	if _, err := os.Stat(controlSocket(env, project)); err != nil {
		t.Fatalf("the killed up left no control socket to be stale: %v", err)
	}
	return dir
}

// docs/spec/runtime.md §17 item 55, §10.1, §12.9: after kill -9 of a foreground up the
// containers keep running and logging; ps (reading containerd), logs and down work.
func TestCLIKilledUpLeavesStackUsable(t *testing.T) {
	env := harness.Require(t)
	dir := killedUp(t, env, "clikill")
	logFile := filepath.Join(plan.ProjectDir(env.DataRoot, "clikill"), "logs", "ticker.log")
	st, err := os.Stat(logFile)
	if err != nil {
		t.Fatal(err)
	}
	waitForCLI(t, func() bool {
		now, err := os.Stat(logFile)
		return err == nil && now.Size() > st.Size()+100 // several new tick records
	})
	code, out, errOut := cliRun(t, env, dir, "ps")
	if code != 0 || !containsAll(out, "ticker  container  running", "job     container  running") {
		t.Errorf("ps after kill -9: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = cliRun(t, env, dir, "logs", "--tail", "3", "ticker")
	if code != 0 || strings.Count(out, "ticker | tick ") != 3 {
		t.Errorf("logs after kill -9: exit %d\n%s%s", code, out, errOut)
	}
	// The socket left behind is stale: restart works directly (§12.6 direct mode).
	code, out, errOut = cliRun(t, env, dir, "restart", "job")
	if code != 0 || out != "job: stopped\njob: started\njob: running\n" {
		t.Errorf("restart after kill -9: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = cliRun(t, env, dir, "down")
	if code != 0 || !containsAll(out, "job: stopped", "ticker: stopped", "network lightshuttle-clikill removed") {
		t.Errorf("down after kill -9: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Index(out, "job: stopped") > strings.Index(out, "ticker: stopped") {
		t.Errorf("down stopped ticker before its dependent job:\n%s", out)
	}
	assertProjectGone(t, env, "clikill")
}

// docs/spec/runtime.md §4.4, §12.9, §17 item 72: after kill -9 of a foreground up, the next
// up -d is not blocked by the stale lock or socket, adopts the unchanged running
// containers, replaces a changed one, and its supervisor replaces the stale socket.
func TestCLIUpAfterKilledUp(t *testing.T) {
	tests := []struct {
		name, project string
		edit          func(string) string // manifest change made after the kill
		recreated     map[string]bool
	}{
		{"unchanged", "cliadopt", func(m string) string { return m }, map[string]bool{}},
		{"job changed", "clirepl", func(m string) string {
			return strings.Replace(m, "exec sleep 3600", "exec sleep 3601", 1)
		}, map[string]bool{"job": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := harness.Require(t)
			dir := killedUp(t, env, tt.project)
			c, ctx := ctrClient(t, env)
			pids := map[string]uint32{}
			for _, r := range []string{"ticker", "job"} {
				pids[r] = taskPID(t, c, ctx, plan.ContainerID(tt.project, r))
			}
			manifest := filepath.Join(dir, "lightshuttle.yml")
			if err := os.WriteFile(manifest, []byte(tt.edit(crashManifest(tt.project))), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never")
			if code != 0 || !strings.Contains(out, "["+tt.project+"] ready: 2 resource(s)") {
				t.Fatalf("up -d after kill -9: exit %d\n%s%s", code, out, errOut)
			}
			for r, pid := range pids {
				reused := strings.Contains(out, r+": reusing running container")
				now := taskPID(t, c, ctx, plan.ContainerID(tt.project, r))
				if tt.recreated[r] == reused || tt.recreated[r] == (now == pid) {
					t.Errorf("%s: reused line %v, task pid %d (was %d); want recreated=%v\n%s",
						r, reused, now, pid, tt.recreated[r], out)
				}
			}
			// The stale socket was replaced by the new background supervisor's.
			pid, _ := supervisorOf(t, out)
			if got := healthzPID(t, controlSocket(env, tt.project)); got != pid {
				t.Errorf("control socket answered for pid %d, want the new supervisor %d", got, pid)
			}
			code, out, errOut = cliRun(t, env, dir, "down")
			if code != 0 || !containsAll(out, "job: stopped", "ticker: stopped") {
				t.Errorf("down: exit %d\n%s%s", code, out, errOut)
			}
			assertProjectGone(t, env, tt.project)
		})
	}
}
