package integration

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// Issue 13: stats reads containerd's task metrics (cgroup v1 here) and the network
// namespace's counters: a busy process shows CPU use, traffic shows in NET I/O.
func TestCLIStats(t *testing.T) {
	env := harness.Require(t)
	dir := dayStack(t, env, "clistats")
	// Traffic between the two, and a busy loop in shell while stats samples.
	if code, _, errOut := cliRun(t, env, dir, "exec", "shell", "--", "wget", "-qO/dev/null", "http://web:8080/"); code != 0 {
		t.Fatalf("exec wget: %s", errOut)
	}
	if code, _, errOut := cliRun(t, env, dir, "exec", "shell", "--", "sh", "-c", "timeout 20 sh -c 'while :; do :; done' >/dev/null 2>&1 &"); code != 0 {
		t.Fatalf("exec busy loop: %s", errOut)
	}
	start := time.Now()
	code, out, errOut := cliRun(t, env, dir, "stats", "--no-stream")
	if code != 0 {
		t.Fatalf("stats --no-stream: exit %d\n%s%s", code, out, errOut)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("stats --no-stream took %s", took)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("stats --no-stream:\n%s", out)
	}
	row := regexp.MustCompile(`^shell\s+(\d+\.\d\d)%\s+\S+ / \S+\s+\d+\.\d\d%\s+(\S+) / (\S+)\s+\S+ / \S+\s+(\d+)$`).FindStringSubmatch(lines[2])
	if row == nil {
		t.Fatalf("stats row of shell: %q", lines[2])
	}
	if row[1] == "0.00" || row[2] == "0B" || row[4] == "0" {
		t.Errorf("shell: CPU %s%%, received %s, %s processes; want a busy CPU, traffic and processes", row[1], row[2], row[4])
	}

	code, out, errOut = cliRun(t, env, dir, "stats", "--no-stream", "--json", "web")
	var r struct {
		Name        string
		MemoryLimit uint64 `json:"memory_limit"`
		PIDs        uint64 `json:"pids"`
		TS          string `json:"ts"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.Name != "web" || r.PIDs == 0 || r.MemoryLimit == 0 || r.TS == "" {
		t.Errorf("stats --json web: exit %d, %q %s (%+v)", code, out, errOut, r)
	}
	if code, _, errOut := cliRun(t, env, dir, "stats", "nope"); code != 1 || !strings.Contains(errOut, `unknown resource "nope"`) {
		t.Errorf("stats nope: exit %d, %s", code, errOut)
	}
}
