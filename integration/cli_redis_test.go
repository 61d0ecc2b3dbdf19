package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// cliRuntime connects to the test containerd as the lsctl of env does.
func cliRuntime(t *testing.T, env *harness.Env) *containerdrt.Client {
	t.Helper()
	c, err := containerdrt.Connect(context.Background(), containerdrt.Options{
		Address: env.Address, Namespace: env.Namespace, DataRoot: env.DataRoot, LogDriver: harness.LogDriver(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// processArgvContaining lists the host processes whose command line contains s.
func processArgvContaining(s string) []string {
	var found []string
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range cmdlines {
		if data, err := os.ReadFile(p); err == nil && strings.Contains(string(data), s) {
			found = append(found, p+": "+strings.ReplaceAll(string(data), "\x00", " "))
		}
	}
	return found
}

// Issue 12 item 6 and issue 17 item 6: a password-protected redis gets its password
// from a file, so no process's argv carries it; its default probe authenticates
// (natively from the host: AUTH, then PING; issue 16 item 3) and becomes healthy; once
// the password changes under it, the probe fails and the resource becomes unhealthy.
func TestCLIRedisPassword(t *testing.T) {
	env := harness.Require(t)
	const project = "cliredis"
	password := fmt.Sprintf("pw \"%d\" x", time.Now().UnixNano()) // a space and quotes
	dir := cliWriteManifest(t, fmt.Sprintf(`project: {name: %s}
resources:
  cache:
    redis:
      image: %s
      password: '%s'
      healthcheck: {interval: 500ms, retries: 1}
`, project, harness.ImageRef("redis"), password))
	cliLoadImages(t, env, dir, "redis")
	execs := countExecs(t, env)
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 0 || !strings.Contains(out, "cache: healthy after ") {
		t.Fatalf("up -d: exit %d\n%s%s", code, out, errOut)
	}
	t.Cleanup(func() {
		if code, out, errOut := cliRun(t, env, dir, "down", "--volumes"); code != 0 {
			t.Errorf("down --volumes: exit %d\n%s%s", code, out, errOut)
		}
		// Issue 17 item 7: nothing of the project is left, the password file included.
		if _, err := os.Stat(plan.ProjectDir(env.DataRoot, project)); !os.IsNotExist(err) {
			entries, _ := os.ReadDir(plan.ProjectDir(env.DataRoot, project))
			t.Errorf("down --volumes left the project directory (%v): %v", err, entries)
		}
	})
	if leaks := processArgvContaining(password); len(leaks) > 0 {
		t.Errorf("the redis password is in a command line:\n%s", strings.Join(leaks, "\n"))
	}
	if strings.Contains(out+errOut, password) {
		t.Errorf("up printed the password:\n%s%s", out, errOut)
	}
	conf := filepath.Join(plan.ProjectDir(env.DataRoot, project), "files", "cache", "redis.conf")
	for p := conf; p != env.DataRoot; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.IsDir() && st.Mode().Perm()&0o077 != 0 && p != env.DataRoot {
			t.Errorf("%s is %v: other users could reach the password file", p, st.Mode().Perm())
		}
	}
	events := subscribeEvents(t, controlSocket(env, project))
	c := cliRuntime(t, env)
	res, err := c.Exec(context.Background(), plan.ContainerID(project, "cache"), containerdrt.ExecRequest{
		Argv: []string{"redis-cli", "CONFIG", "SET", "requirepass", "another"}, Env: []string{"REDISCLI_AUTH=" + password},
		Timeout: 10 * time.Second})
	if err != nil || res.ExitCode != 0 || !strings.Contains(res.Output, "OK") {
		t.Fatalf("CONFIG SET requirepass: %v, exit %d: %s", err, res.ExitCode, res.Output)
	}
	awaitEvent(t, events, "resource_unhealthy", "cache", 30*time.Second)
	code, out, _ = cliRun(t, env, dir, "ps")
	if code != 0 || !strings.Contains(out, "cache  redis  unhealthy") {
		t.Errorf("ps after the password changed: exit %d\n%s", code, out)
	}
	// docs/spec/runtime.md §17 item 107: the probes were native (AUTH, then PING, from the host):
	// the one exec of the container is the CONFIG SET above.
	if n := execs.of(plan.ContainerID(project, "cache")); n != 1 {
		t.Errorf("%d execs in the redis container, want 1 (CONFIG SET): the default probe must not exec", n)
	}
	code, out, _ = cliRun(t, env, dir, "ps", "--json")
	if code != 0 || strings.Contains(out, password) || strings.Contains(out, "another") {
		t.Errorf("ps --json shows a password (exit %d):\n%s", code, out)
	}
}
