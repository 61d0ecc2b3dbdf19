package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// Issue 12 item 5: a full disk under the logs never blocks a container's stdout. The
// chatty container writes far more than a pipe and a 256 KiB disk hold, then marks
// itself done; it becomes healthy only if every write returned. The dropped lines are
// counted: ps says so and the supervisor warns in its log.
func TestCLIFullDiskDropsLogLines(t *testing.T) {
	env := harness.Require(t)
	const project = "clifull"
	dir := cliWriteManifest(t, fmt.Sprintf(`project: {name: %s}
resources:
  chatty:
    container:
      image: %s
      command: "i=0; while [ $i -lt 20000 ]; do echo line $i of a container whose log disk is full; i=$((i+1)); done; touch /tmp/done; exec sleep 3600"
      healthcheck:
        test: ["CMD", "test", "-f", "/tmp/done"]
        interval: 1s
        start_interval: 100ms
        start_period: 60s
`, project, harness.ImageRef("busybox")))
	cliLoadImages(t, env, dir, "busybox")
	logs := filepath.Join(plan.ProjectDir(env.DataRoot, project), "logs")
	if err := os.MkdirAll(logs, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", logs).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs for the logs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		cliRun(t, env, dir, "down")
		_ = exec.Command("umount", logs).Run()
	})
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never", "--wait-timeout", "60s")
	if code != 0 || !strings.Contains(out, "chatty: healthy after ") {
		t.Fatalf("up -d with a full log disk: exit %d\n%s%s", code, out, errOut)
	}
	waitForCLI(t, func() bool {
		_, out, errOut := cliRun(t, env, dir, "ps")
		return strings.Contains(out+errOut, "chatty: ") && strings.Contains(out+errOut, "log line(s) dropped since") &&
			strings.Contains(out+errOut, "no space left on device")
	})
	supervisorLog := filepath.Join(plan.ProjectDir(env.DataRoot, project), "supervisor.log")
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, _ := os.ReadFile(supervisorLog)
		if strings.Contains(string(data), "warning: chatty: ") && strings.Contains(string(data), "log line(s) dropped so far") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the supervisor did not warn about dropped lines:\n%s", data)
		}
		time.Sleep(200 * time.Millisecond) // the supervisor checks every 2 s; nothing to subscribe to
	}
}
