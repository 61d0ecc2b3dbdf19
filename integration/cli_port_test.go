package integration

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// Issue 13: port prints where a published port answers on the host, for scripts, in
// direct mode and through the background supervisor alike.
func TestCLIPort(t *testing.T) {
	env := harness.Require(t)
	dir := dayStack(t, env, "cliport")
	code, addr, errOut := cliRun(t, env, dir, "port", "web", "8080")
	addr = strings.TrimSpace(addr)
	if code != 0 || !regexp.MustCompile(`^127\.0\.0\.1:\d+$`).MatchString(addr) {
		t.Fatalf("port web 8080: exit %d, stdout %q, stderr %q", code, addr, errOut)
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("GET the address port printed: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) == 0 {
		t.Errorf("GET http://%s/: %s, %d bytes", addr, resp.Status, len(body))
	}
	if code, out, _ := cliRun(t, env, dir, "port", "web"); code != 0 || out != "8080/tcp -> "+addr+"\n" {
		t.Errorf("port web: exit %d, stdout %q", code, out)
	}
	if code, _, errOut := cliRun(t, env, dir, "port", "shell", "80"); code != 1 || errOut != "error: resource \"shell\" publishes no port; add 80 to its ports in lightshuttle.yml\n" {
		t.Errorf("port shell 80: exit %d, stderr %q", code, errOut)
	}
	// Without an owner, containerd tells the same.
	releaseOwner(t, env, "cliport")
	if code, out, errOut := cliRun(t, env, dir, "port", "web", "8080"); code != 0 || out != addr+"\n" {
		t.Errorf("port in direct mode: exit %d, stdout %q, stderr %q; want %s", code, out, errOut, addr)
	}
	if code, out, errOut := cliRun(t, env, dir, "down"); code != 0 {
		t.Fatalf("down: %d %s%s", code, out, errOut)
	}
	if code, _, errOut := cliRun(t, env, dir, "port", "web", "8080"); code != 1 || errOut != "error: resource \"web\" is not running (status stopped); start it with lsctl start web\n" {
		t.Errorf("port after down: exit %d, stderr %q", code, errOut)
	}
}
