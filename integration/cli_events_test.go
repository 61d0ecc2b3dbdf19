package integration

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// Issue 13: events follows the background supervisor's lifecycle events (the
// remembered ones first with --since), as lines or NDJSON, until the stack stops;
// without an owner it says where events come from.
func TestCLIEvents(t *testing.T) {
	env := harness.Require(t)
	const project = "clievents"
	dir := dayStack(t, env, project)
	lines := startEvents(t, env, dir, "events", "--since", "1h")
	awaitLine(t, lines, func(l string) bool { return strings.HasSuffix(l, " ["+project+"] started") })
	jsonLines := startEvents(t, env, dir, "events", "--json")
	if code, out, errOut := cliRun(t, env, dir, "stop", "shell"); code != 0 {
		t.Fatalf("stop shell: %d %s%s", code, out, errOut)
	}
	awaitLine(t, lines, func(l string) bool { return strings.HasSuffix(l, " shell stopped") })
	awaitLine(t, jsonLines, func(l string) bool {
		var e struct{ Type, Resource, TS string }
		return json.Unmarshal([]byte(l), &e) == nil && e.Type == "resource_stopped" && e.Resource == "shell" && e.TS != ""
	})
	if code, _, errOut := cliRun(t, env, dir, "down"); code != 0 {
		t.Fatalf("down: %s", errOut)
	}
	awaitLine(t, lines, func(l string) bool { return strings.HasSuffix(l, " ["+project+"] stopped") })
	for l := range lines { // the stream ended with the stack: lsctl events ends, exit 0
		t.Errorf("after the stack stopped, lsctl events printed %q", l)
	}
	if code, _, errOut := cliRun(t, env, dir, "events"); code != 1 || !strings.Contains(errOut, "no lsctl up or background supervisor runs for project") {
		t.Errorf("events without an owner: exit %d, %s", code, errOut)
	}
}

// startEvents runs a following lsctl command and returns its stdout lines; the
// channel closes when the command ends, which must be with exit 0.
func startEvents(t *testing.T, env *harness.Env, dir string, args ...string) <-chan string {
	t.Helper()
	cmd := exec.Command(harness.Binary(t), args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env.Environ(t)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	ch := make(chan string, 256)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			ch <- sc.Text()
		}
		if err := cmd.Wait(); err != nil {
			ch <- "exit: " + err.Error()
		}
	}()
	return ch
}

// awaitLine fails the test unless a line matching ok arrives within a minute.
func awaitLine(t *testing.T, lines <-chan string, ok func(string) bool) {
	t.Helper()
	deadline := time.After(time.Minute)
	var seen []string
	for {
		select {
		case l, open := <-lines:
			if !open {
				t.Fatalf("the output ended without the line awaited; lines:\n%s", strings.Join(seen, "\n"))
			}
			if ok(l) {
				return
			}
			seen = append(seen, l)
		case <-deadline:
			t.Fatalf("the line awaited did not come within a minute; lines:\n%s", strings.Join(seen, "\n"))
		}
	}
}
