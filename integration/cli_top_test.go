package integration

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// Issue 13: top lists the container's processes with their PID in the container,
// host PID, user, CPU time and command, secrets redacted.
func TestCLITop(t *testing.T) {
	env := harness.Require(t)
	dir := cliWriteManifest(t, fmt.Sprintf(`project: {name: clitop}
resources:
  worker:
    container:
      image: %s
      command: ["sh", "-c", "exec sh -c 'while :; do sleep 1; done' \"$TOKEN\""]
      secrets: {TOKEN: hunter2-secret-token}
`, harness.ImageRef("busybox")))
	cliLoadImages(t, env, dir, "busybox")
	if code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never"); code != 0 {
		t.Fatalf("up -d: exit %d\n%s%s", code, out, errOut)
	}
	t.Cleanup(func() { cliRun(t, env, dir, "down") })
	if code, _, errOut := cliRun(t, env, dir, "exec", "-u", "nobody", "worker", "--", "sh", "-c", "sleep 300 >/dev/null 2>&1 &"); code != 0 {
		t.Fatalf("exec: %s", errOut)
	}
	code, out, errOut := cliRun(t, env, dir, "top", "worker")
	if code != 0 {
		t.Fatalf("top: exit %d\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !regexp.MustCompile(`^PID\s+HOST PID\s+USER\s+TIME\s+COMMAND$`).MatchString(lines[0]) {
		t.Errorf("header %q", lines[0])
	}
	if !regexp.MustCompile(`(?m)^1\s+\d+\s+root\s+\d\d:\d\d:\d\d\s+sh -c while :; do sleep 1; done \*+$`).MatchString(out) {
		t.Errorf("top lacks PID 1 with its command, secret redacted:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^\d+\s+\d+\s+nobody\s+\S+\s+sleep 300$`).MatchString(out) {
		t.Errorf("top lacks the process exec started as nobody:\n%s", out)
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("top printed a secret:\n%s", out)
	}
}
