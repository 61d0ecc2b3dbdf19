package cli

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control"
	"github.com/lightshuttle/lsctl/cli/control/controltest"
	"github.com/lightshuttle/lsctl/plan"
)

// handPlane is a fake owner that stops, starts and kills by hand: each request is
// recorded, then its events are published from another goroutine.
type handPlane struct {
	*controltest.Plane
	mu        sync.Mutex
	calls     []string
	startFail map[string]string // resource -> resource_failed error
	unhandled bool              // KillResource reports a signal PID 1 ignores
}

func newHandPlane(views ...actors.View) *handPlane {
	return &handPlane{Plane: controltest.NewPlane("shop", views...), startFail: map[string]string{}}
}

func (h *handPlane) record(call string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, call)
}

func (h *handPlane) recorded() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.calls, " ")
}

func (h *handPlane) StopResource(name string, grace time.Duration) (bool, error) {
	v, ok := h.Get(name)
	if !ok {
		return false, actors.ErrUnknownResource
	}
	if v.Status == actors.StatusStopped {
		return false, nil
	}
	h.record("stop:" + name + ":" + grace.String())
	go func() {
		h.Publish(actors.Event{Type: actors.ResourceStopping, Resource: name, TS: time.Now()})
		h.SetStatus(name, actors.StatusStopped)
		h.record("stopped:" + name)
		h.Publish(actors.Event{Type: actors.ResourceStopped, Resource: name, TS: time.Now()})
	}()
	return true, nil
}

func (h *handPlane) StartResource(name string) (bool, error) {
	if v, _ := h.Get(name); isUp(v) {
		return false, nil
	}
	h.record("start:" + name)
	go func() {
		if msg := h.startFail[name]; msg != "" {
			h.Publish(actors.Event{Type: actors.ResourceFailed, Resource: name, Error: msg, TS: time.Now()})
			return
		}
		h.Publish(actors.Event{Type: actors.ResourceStarted, Resource: name, TS: time.Now()})
		h.SetStatus(name, actors.StatusHealthy)
		h.record("ready:" + name)
		h.Publish(actors.Event{Type: actors.ResourceHealthy, Resource: name, TS: time.Now()})
	}()
	return true, nil
}

func (h *handPlane) KillResource(_ context.Context, name string, sig syscall.Signal) (bool, error) {
	h.record("kill:" + name + ":" + control.SignalName(sig))
	return !h.unhandled, nil
}

// shopHandManifest: api depends on db; job depends on nothing.
const shopHandManifest = "project: {name: shop}\nresources:\n  db:\n    postgres: {}\n  api:\n    container: {image: 'a:1', depends_on: [db]}\n  job:\n    container: {image: 'a:1'}\n"

func runningShop() []actors.View {
	id := "x"
	return []actors.View{
		{Name: "db", Status: actors.StatusHealthy, ContainerID: &id},
		{Name: "api", Status: actors.StatusRunning, ContainerID: &id, DependsOn: []string{"db"}},
		{Name: "job", Status: actors.StatusRunning, ContainerID: &id},
	}
}

// Issue 13: stop goes through the owner in reverse dependency order; a dependency
// named alone gets a warning about its running dependents, which --with-dependents
// stops first.
func TestStopViaAPI(t *testing.T) {
	path := writeManifest(t, shopHandManifest, nil)
	tests := []struct {
		args           []string
		calls          []string // in this order (others may interleave)
		stdout, stderr string
	}{
		{[]string{"stop", "db"}, []string{"stop:db:0s"}, "db: stopped\n",
			"warning: api depends on db and keeps running; lsctl stop --with-dependents db stops it first\n"},
		{[]string{"stop", "--with-dependents", "--grace", "3s", "db"}, []string{"stop:api:3s", "stopped:api", "stop:db:3s"}, "api: stopped\ndb: stopped\n", ""},
		{[]string{"stop"}, []string{"stop:api:0s", "stopped:api", "stop:db:0s"}, "", ""},
	}
	for _, tt := range tests {
		root := t.TempDir()
		hp := newHandPlane(runningShop()...)
		serveHand(t, root, hp)
		r := run(t, nil, append([]string{"--data-root", root, "-f", path}, tt.args...)...)
		if r.code != 0 || (tt.stdout != "" && r.stdout != tt.stdout) || r.stderr != tt.stderr {
			t.Errorf("lsctl %v: code %d stdout %q stderr %q", tt.args, r.code, r.stdout, r.stderr)
		}
		assertInOrder(t, hp.recorded(), tt.calls)
	}
}

// Issue 13: start starts the stopped dependencies first, each once its own are
// ready; a failed dependency leaves its dependents unstarted, and exit 1.
func TestStartViaAPI(t *testing.T) {
	path := writeManifest(t, shopHandManifest, nil)
	views := func() []actors.View {
		v := runningShop()
		v[0].Status, v[1].Status = actors.StatusStopped, actors.StatusExited
		return v
	}
	root := t.TempDir()
	hp := newHandPlane(views()...)
	serveHand(t, root, hp)
	r := run(t, nil, "--data-root", root, "-f", path, "start", "api")
	if r.code != 0 || r.stdout != "db: started\ndb: healthy\napi: started\napi: running\n" || r.stderr != "" {
		t.Errorf("start api: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	assertInOrder(t, hp.recorded(), []string{"start:db", "ready:db", "start:api"})
	if r := run(t, nil, "--data-root", root, "-f", path, "start", "job"); r.code != 0 || r.stdout != "job: already running\n" {
		t.Errorf("start of a running resource: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}

	root = t.TempDir()
	hp = newHandPlane(views()...)
	hp.startFail["db"] = "exited with code 1 before becoming ready"
	serveHand(t, root, hp)
	r = run(t, nil, "--data-root", root, "-f", path, "start")
	want := "error: db: exited with code 1 before becoming ready\nerror: api: not started: dependency db failed\n"
	if r.code != 1 || r.stderr != want || strings.Contains(hp.recorded(), "start:api") {
		t.Errorf("start with a failing dependency: code %d stderr %q calls %s", r.code, r.stderr, hp.recorded())
	}
}

// Issue 13: kill sends the signal through the owner; bad signal names and resources
// that do not run change nothing.
func TestKillViaAPI(t *testing.T) {
	path := writeManifest(t, shopHandManifest, nil)
	views := runningShop()
	views[2].Status = actors.StatusStopped
	root := t.TempDir()
	hp := newHandPlane(views...)
	serveHand(t, root, hp)
	tests := []struct {
		args           []string
		code           int
		stdout, stderr string
		calls          string
	}{
		{[]string{"kill", "-s", "TERM", "db"}, 0, "db: sent SIGTERM\n", "", "kill:db:SIGTERM"},
		{[]string{"kill"}, 0, "db: sent SIGKILL\napi: sent SIGKILL\n", "", "kill:db:SIGKILL kill:api:SIGKILL"},
		{[]string{"kill", "-s", "NOPE", "db"}, 2, "", "error: invalid value \"NOPE\" for --signal: expected a signal name such as KILL, TERM or HUP, or its number\nRun \"lsctl kill --help\" for usage.\n", ""},
		{[]string{"kill", "db", "job"}, 1, "", "error: resource \"job\" is not running (status stopped); start it with lsctl start job\n", ""},
		{[]string{"kill", "jobb"}, 1, "", "error: unknown resource \"jobb\" in project \"shop\" (did you mean \"job\"?)\n", ""},
	}
	for _, tt := range tests {
		hp.calls = nil
		r := run(t, nil, append([]string{"--data-root", root, "-f", path}, tt.args...)...)
		if r.code != tt.code || r.stdout != tt.stdout || r.stderr != tt.stderr || hp.recorded() != tt.calls {
			t.Errorf("lsctl %v: code %d stdout %q stderr %q calls %q", tt.args, r.code, r.stdout, r.stderr, hp.recorded())
		}
	}
	hp.unhandled = true
	r := run(t, nil, "--data-root", root, "-f", path, "kill", "-s", "HUP", "api")
	if r.code != 0 || r.stderr != "warning: PID 1 of api has no handler for SIGHUP, so the kernel drops it; lsctl kill api ends it\n" {
		t.Errorf("kill of an unhandled signal: code %d stderr %q", r.code, r.stderr)
	}
}

// serveHand serves hp as the owner of project shop on root's socket.
func serveHand(t *testing.T, root string, hp *handPlane) {
	t.Helper()
	serveOwner(t, root, hp)
}

// serveOwner serves cp as the owner of project shop on root's socket.
func serveOwner(t *testing.T, root string, cp control.Plane) {
	t.Helper()
	if err := os.MkdirAll(plan.ProjectDir(root, "shop"), 0o700); err != nil {
		t.Fatal(err)
	}
	s := &session{stdout: io.Discard, stderr: io.Discard, opts: globalOptions{DataRoot: root}}
	cs, err := s.startControl(&plan.Plan{Project: "shop"}, cp, -1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cs.Close)
}

// socketClient sends HTTP requests to the owner of project shop on root's socket.
func socketClient(root string) *http.Client {
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", control.Socket(root, "shop"))
	}
	return &http.Client{Transport: &http.Transport{DialContext: dial}}
}

// assertInOrder checks that want appear in calls in this order.
func assertInOrder(t *testing.T, calls string, want []string) {
	t.Helper()
	rest := " " + calls + " "
	for _, w := range want {
		i := strings.Index(rest, " "+w+" ")
		if i < 0 {
			t.Errorf("calls %q lack %q (in order %v)", calls, w, want)
			return
		}
		rest = rest[i+len(w)+1:]
	}
}

// Issue 13: the stop, start and kill endpoints and their answers.
func TestControlAPIHandEndpoints(t *testing.T) {
	hp := newHandPlane(runningShop()...)
	srv, plain := t.TempDir(), t.TempDir()
	serveOwner(t, srv, hp)
	serveOwner(t, plain, controltest.NewPlane("shop", runningShop()...))
	tests := []struct {
		root, path string
		status     int
		body       string
	}{
		{srv, "/api/resources/job/stop?grace=2s", 202, `{"accepted":true,"resource":"job"}`},
		{srv, "/api/resources/db/stop?grace=x", 400, `{"error":"invalid grace","resource":"db"}`},
		{srv, "/api/resources/api/start", 200, `{"changed":false,"resource":"api","status":"running"}`},
		{srv, "/api/resources/db/kill?signal=HUP", 200, `{"handled":true,"resource":"db","signal":"SIGHUP"}`},
		{srv, "/api/resources/db/kill?signal=NOPE", 400, `{"error":"invalid signal","resource":"db"}`},
		{srv, "/api/resources/nope/stop", 404, `{"error":"unknown resource","resource":"nope"}`},
		{srv, "/api/resources/db/pause", 404, `{"error":"not found"}`},
		{plain, "/api/resources/db/stop", 501, `{"error":"this lsctl cannot stop resources"}`},
	}
	for _, tt := range tests {
		resp, err := socketClient(tt.root).Post("http://lsctl"+tt.path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || strings.TrimSpace(string(data)) != tt.body {
			t.Errorf("POST %s: got %d %s, want %d %s", tt.path, resp.StatusCode, data, tt.status, tt.body)
		}
	}
	if hp.recorded() == "" || !strings.Contains(hp.recorded(), "stop:job:2s") {
		t.Errorf("calls %q", hp.recorded())
	}
}
