package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// chainManifest is a <- b <- c of busybox containers; a's command is aCommand.
func chainManifest(project, aCommand, aExtra string) string {
	bb := harness.ImageRef("busybox")
	return fmt.Sprintf(`project: {name: %s}
resources:
  a:
    container:
      image: %s
      command: %q
%s  b:
    container:
      image: %s
      command: "exec sleep 3600"
      depends_on: [a]
  c:
    container:
      image: %s
      command: "exec sleep 3600"
      depends_on: [b]
`, project, bb, aCommand, aExtra, bb, bb)
}

// docs/spec/runtime.md §17 item 50, §12.7 step 2: SIGINT to a foreground up on a terminal stops
// c, then b, then a, removes everything and exits 130.
func TestCLISigintStopsInReverseOrder(t *testing.T) {
	env := harness.Require(t)
	dir := cliWriteManifest(t, chainManifest("clisig", "exec sleep 3600", ""))
	cliLoadImages(t, env, dir, "busybox")
	up := startFgUp(t, env, dir, true, "--pull", "never", "--grace", "5s")
	up.await("[clisig] ready: 3 resource(s)", 2*time.Minute)
	events := subscribeEvents(t, controlSocket(env, "clisig"))
	up.interrupt()
	got := collectEvents(t, events, time.Minute)
	if code := up.exitCode(30 * time.Second); code != 130 {
		t.Errorf("up exit %d, want 130; output:\n%s", code, up.output())
	}
	var stopped []string
	pos := map[string]int{}
	for i, e := range got {
		pos[e.Type+" "+e.Resource] = i
		if e.Type == "resource_stopped" {
			stopped = append(stopped, e.Resource)
		}
	}
	if strings.Join(stopped, ",") != "c,b,a" {
		t.Errorf("resource_stopped order %v, want [c b a]; events %v", stopped, got)
	}
	// §13.2: a dependency's stopping follows the stopped of each of its dependents.
	for _, pair := range [][2]string{{"c", "b"}, {"b", "a"}} {
		if pos["resource_stopping "+pair[1]] < pos["resource_stopped "+pair[0]] {
			t.Errorf("%s began stopping before %s was stopped: %v", pair[1], pair[0], got)
		}
	}
	if len(got) == 0 || got[len(got)-1].Type != "stack_stopped" {
		t.Errorf("event stream did not end with stack_stopped: %v", got)
	}
	if !strings.Contains(up.output(), "[clisig] stopped") {
		t.Errorf("no stopped line:\n%s", up.output())
	}
	assertProjectGone(t, env, "clisig")
}

// docs/spec/runtime.md §17 item 51, §12.8: a second SIGINT while a container that traps SIGTERM
// is being stopped with a 30 s grace kills it at once; cleanup completes; exit 130.
func TestCLISecondSigintKills(t *testing.T) {
	env := harness.Require(t)
	slow := "echo started; trap 'echo term' TERM; while :; do sleep 1; done"
	dir := cliWriteManifest(t, chainManifest("cli2nd", slow, ""))
	cliLoadImages(t, env, dir, "busybox")
	up := startFgUp(t, env, dir, true, "--pull", "never", "--grace", "30s")
	up.await("[cli2nd] ready: 3 resource(s)", 2*time.Minute)
	events := subscribeEvents(t, controlSocket(env, "cli2nd"))
	up.interrupt()
	// a is stopped last; once it is stopping, its trap keeps it alive for the grace.
	awaitEvent(t, events, "resource_stopping", "a", time.Minute)
	// Logs are no longer streamed during shutdown: the trap's line is in a's log file.
	logFile := filepath.Join(plan.ProjectDir(env.DataRoot, "cli2nd"), "logs", "a.log")
	waitForCLI(t, func() bool {
		b, _ := os.ReadFile(logFile)
		return strings.Contains(string(b), `"line":"term"`)
	})
	second := time.Now()
	up.interrupt()
	// Further Ctrl-C are ignored (§12.8): a developer who keeps pressing it must not
	// break the cleanup that runs meanwhile.
	go func() {
		for {
			select {
			case <-up.exited:
				return
			case <-time.After(5 * time.Millisecond):
				_, _ = up.ptmx.Write([]byte{0x03})
			}
		}
	}()
	code := up.exitCode(30 * time.Second)
	if took := up.exitAt.Sub(second); took > 10*time.Second {
		t.Errorf("up exited %s after the second SIGINT, want well under the 30s grace", took)
	}
	if code != 130 {
		t.Errorf("up exit %d, want 130; output:\n%s", code, up.output())
	}
	assertProjectGone(t, env, "cli2nd")
}

// docs/spec/runtime.md §17 item 41, §12.8: Ctrl-C during startup rolls back: no container,
// network record, bridge, iptables rule or CNI attachment is left, no failure report,
// exit 130. Once while a waits for a healthcheck that never passes (b and c waiting
// for it), once as soon as the stack begins (containers being prepared).
func TestCLISigintDuringStartup(t *testing.T) {
	never := `    healthcheck:
        test: ["CMD", "false"]
        interval: 1s
        retries: 100
`
	tests := []struct {
		name, project string
		awaitStarted  bool
	}{
		{"waiting for a healthcheck", "cliroll", true},
		{"as the stack begins", "clirol2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := harness.Require(t)
			dir := cliWriteManifest(t, chainManifest(tt.project, "echo booting; exec sleep 3600", "  "+never))
			cliLoadImages(t, env, dir, "busybox")
			up := startFgUp(t, env, dir, true, "--pull", "never", "--grace", "5s")
			sock := controlSocket(env, tt.project)
			awaitFile(t, sock, time.Minute)
			events := subscribeEvents(t, sock)
			if tt.awaitStarted {
				awaitEvent(t, events, "resource_started", "a", time.Minute)
			}
			up.interrupt()
			got := collectEvents(t, events, time.Minute)
			if code := up.exitCode(time.Minute); code != 130 {
				t.Errorf("up exit %d, want 130; output:\n%s", code, up.output())
			}
			for _, e := range got {
				if e.Type == "stack_started" || (tt.awaitStarted && e.Type == "resource_started") {
					t.Errorf("%s of %q after Ctrl-C: %v", e.Type, e.Resource, got)
				}
			}
			if len(got) == 0 || got[len(got)-1].Type != "stack_stopped" {
				t.Errorf("event stream did not end with stack_stopped: %v", got)
			}
			if out := up.output(); strings.Contains(out, "startup failed") || !strings.Contains(out, "["+tt.project+"] stopped") {
				t.Errorf("a cancelled startup printed a failure report or no stopped line:\n%s", out)
			}
			assertProjectGone(t, env, tt.project)
		})
	}
}
