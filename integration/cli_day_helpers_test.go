package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// dayManifest is a stack for the day-to-day commands: web (an HTTP server with a
// healthcheck and a published port) and shell, which depends on web, has an env
// reference to it and a PID 1 that stops on SIGTERM.
func dayManifest(project string) string {
	return fmt.Sprintf(`project: {name: %s}
resources:
  web:
    container:
      image: %s
      ports: [8080]
      healthcheck:
        test: ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/"]
        interval: 1s
        start_interval: 100ms
  shell:
    container:
      image: %s
      command: "trap 'exit 0' TERM; while :; do sleep 1; done"
      restart: always
      env:
        WEB_ADDR: "http://${resources.web.host}:8080"
`, project, harness.ImageRef("app"), harness.ImageRef("busybox"))
}

// dayStack brings dayManifest up with up -d and returns its directory.
func dayStack(t *testing.T, env *harness.Env, project string) string {
	t.Helper()
	dir := cliWriteManifest(t, dayManifest(project))
	cliLoadImages(t, env, dir, "app", "busybox")
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 0 || !strings.Contains(out, "["+project+"] ready: 2 resource(s) in ") {
		t.Fatalf("up -d: exit %d\n%s%s", code, out, errOut)
	}
	t.Cleanup(func() { cliRun(t, env, dir, "down") })
	return dir
}

// cliRunInput runs lsctl with args in dir and stdin ("" for none), and returns its
// exit code, stdout and stderr.
func cliRunInput(t *testing.T, env *harness.Env, dir, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, harness.Binary(t), args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env.Environ(t)...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String(), errb.String()
	}
	if err != nil {
		t.Fatalf("run lsctl %v: %v", args, err)
	}
	return 0, out.String(), errb.String()
}

// releaseOwner makes the background supervisor of project exit without stopping
// anything, so that the next commands find the stack running with no owner (direct mode).
func releaseOwner(t *testing.T, env *harness.Env, project string) {
	t.Helper()
	sock := controlSocket(env, project)
	pid := healthzPID(t, sock)
	resp, err := controlClient(sock).Post("http://lsctl/api/release", "", nil)
	if err != nil {
		t.Fatalf("POST /api/release: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/release: %s", resp.Status)
	}
	awaitGone(t, pid, 30*time.Second)
}
