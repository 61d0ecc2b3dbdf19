package integration

import (
	"net/http"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// docs/spec/runtime.md §20.1, §17: with two projects up on the same host, a container of
// project B that posts to project A's receiver (A's gateway:4318, which the host
// routes to) is refused and counted, while A's own container and the host are served.
func TestCLIOtelReceiverIsolation(t *testing.T) {
	env := harness.Require(t)
	dirA := cliWriteManifest(t, sleeperManifest("isoa"))
	dirB := cliWriteManifest(t, sleeperManifest("isob"))
	cliLoadImages(t, env, dirA, "busybox")
	for _, dir := range []string{dirA, dirB} {
		if code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never"); code != 0 {
			t.Fatalf("up -d in %s: exit %d\n%s%s", dir, code, out, errOut)
		}
		t.Cleanup(func() { cliRun(t, env, dir, "down") })
	}
	sockA := controlSocket(env, "isoa")
	var st struct {
		HTTP     string
		Rejected map[string]uint64
	}
	if apiGet(t, sockA, "/api/otel", &st); !strings.HasPrefix(st.HTTP, "http://") {
		t.Fatalf("project A's /api/otel names no receiver: %+v", st)
	}
	post := func(dir string) (int, string) {
		code, out, errOut := cliRun(t, env, dir, "exec", "job", "--", "wget", "-q", "-O-",
			"--header", "Content-Type: application/json", "--post-data", "{}", st.HTTP+"/v1/traces")
		return code, out + errOut
	}
	if code, out := post(dirA); code != 0 {
		t.Fatalf("project A's own container could not post to %s: exit %d\n%s", st.HTTP, code, out)
	}
	// The host itself: its connection to the gateway comes from the gateway address.
	direct := &http.Client{Transport: &http.Transport{}} // no proxy from the environment
	resp, err := direct.Post(st.HTTP+"/v1/traces", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatalf("the host could not post to %s: %v", st.HTTP, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the host's post to %s: %s", st.HTTP, resp.Status)
	}
	if code, out := post(dirB); code == 0 {
		t.Fatalf("project B's container posted to project A's receiver %s:\n%s", st.HTTP, out)
	}
	if apiGet(t, sockA, "/api/otel", &st); st.Rejected["foreign_source"] == 0 {
		t.Errorf("project A counted no foreign_source rejection: %+v", st.Rejected)
	}
}
