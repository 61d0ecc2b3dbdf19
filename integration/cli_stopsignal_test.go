package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// docs/spec/runtime.md §17 item 52, §9.6, §12.7: a container whose image config says
// `StopSignal: SIGINT` receives SIGINT when it is stopped, and one whose image says nothing
// receives SIGTERM. Each PID 1 traps both signals and logs which one came.
func TestCLIImageStopSignalSIGINT(t *testing.T) {
	env := harness.Require(t)
	const project = "clistopsig"
	const sigintRef = "localhost/lsctl-test/stopsig-int:1"
	base, err := baseBusybox()
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "stopsig-int.tar")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeArchive(f, withStopSignal(base, "SIGINT"), archiveOCI, sigintRef); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	trapBoth := "trap 'echo got SIGINT; exit 0' INT; trap 'echo got SIGTERM; exit 0' TERM; while :; do sleep 1; done"
	dir := cliWriteManifest(t, fmt.Sprintf(`project: {name: %s}
resources:
  intr:
    container: {image: %s, command: %q}
  term:
    container: {image: %s, command: %q}
`, project, sigintRef, trapBoth, harness.ImageRef("busybox"), trapBoth))
	cliLoadImages(t, env, dir, "busybox")
	if code, out, errOut := cliRun(t, env, dir, "images", "load", archive); code != 0 {
		t.Fatalf("images load: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never"); code != 0 {
		t.Fatalf("up -d: exit %d\n%s%s", code, out, errOut)
	}
	t.Cleanup(func() { cliRun(t, env, dir, "down", "--volumes") })
	if code, out, errOut := cliRun(t, env, dir, "stop", "--grace", "30s"); code != 0 {
		t.Fatalf("stop: exit %d\n%s%s", code, out, errOut)
	}
	for res, want := range map[string]string{"intr": "got SIGINT", "term": "got SIGTERM"} {
		// The trap's line reaches the log file through the log driver, which may write
		// it after the stop returned.
		logFile := filepath.Join(plan.ProjectDir(env.DataRoot, project), "logs", res+".log")
		var log []byte
		waitForCLI(t, func() bool {
			log, _ = os.ReadFile(logFile)
			return strings.Contains(string(log), `"line":"got `)
		})
		if !strings.Contains(string(log), `"line":"`+want+`"`) {
			t.Errorf("%s: want %q in its log, got:\n%s", res, want, log)
		}
	}
}
