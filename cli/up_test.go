package cli

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

// docs/spec/runtime.md §17 item 69: a missing variable fails before containerd is contacted
// (the address below does not exist, so reaching it would print another error).
func TestUpMissingEnvBeforeContainerd(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container:\n      image: a:1\n      env: {T: '${env.X}'}\n", nil)
	r := run(t, nil, "--address", "/nonexistent/containerd.sock", "--data-root", t.TempDir(), "-f", path, "up")
	if r.code != 1 || !strings.Contains(r.stderr, "missing required environment variable(s): X") || strings.Contains(r.stderr, "containerd") {
		t.Errorf("code %d stderr %q", r.code, r.stderr)
	}
}

// docs/spec/runtime.md §17 item 70.
func TestUpUnreachableContainerd(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container: {image: 'a:1'}\n", nil)
	addr := t.TempDir() + "/containerd.sock"
	r := run(t, nil, "--address", addr, "--data-root", t.TempDir(), "-f", path, "up")
	want := "error: cannot connect to containerd at " + addr + ": "
	if r.code != 1 || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("code %d stderr %q", r.code, r.stderr)
	}
}

// docs/spec/runtime.md §12.9, §17 item 14: a second up of a busy project fails naming the holder.
func TestUpBusyProject(t *testing.T) {
	root := t.TempDir()
	lock, err := containerdrt.LockProject(root, "shop", "up")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	path := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container: {image: 'a:1'}\n", nil)
	r := run(t, nil, "--data-root", root, "-f", path, "up")
	want := fmt.Sprintf("error: project \"shop\" is busy: lsctl up (pid %d) is running\n", os.Getpid())
	if r.code != 1 || r.stderr != want {
		t.Errorf("code %d stderr %q, want %q", r.code, r.stderr, want)
	}
}

// docs/spec/runtime.md §16.3 --strict: warnings are errors before anything starts.
func TestUpStrictWarnings(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container: {image: alpine}\n", nil)
	r := run(t, nil, "--address", "/nonexistent.sock", "--data-root", t.TempDir(), "-f", path, "up", "--strict")
	if r.code != 1 || !strings.Contains(r.stderr, "error: ") || !strings.Contains(r.stderr, "has no tag") {
		t.Errorf("code %d stderr %q", r.code, r.stderr)
	}
}

type fixedViews map[string]actors.View

func (f fixedViews) Get(name string) (actors.View, bool) { v, ok := f[name]; return v, ok }

// docs/spec/runtime.md §16.3 plain lines, §12.3 dependency failure line.
func TestEventLines(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  db:\n    postgres: {}\n  api:\n    container: {image: 'a:1', env: {U: '${resources.db.url}'}}\n", nil)
	ld := loadForTest(t, path)
	p, diags := plan.Build(ld.manifest, plan.Options{Env: ld.env})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ip := "10.213.0.2"
	views := fixedViews{"db": {IP: &ip, Ports: []plan.PortBinding{{HostIP: "127.0.0.1", HostPort: 5432, ContainerPort: 5432, RequestedHostPort: 5432}}}}
	el := newEventLines(p, views, "10.213.0.0/24")
	t0 := time.Now()
	code := 3
	tests := []struct {
		e    actors.Event
		want string
	}{
		{actors.Event{Type: actors.StackStarting}, "[shop] starting 2 resource(s) on lightshuttle-shop (10.213.0.0/24)"},
		{actors.Event{Type: actors.ResourcePulling, Resource: "db", Image: "docker.io/library/postgres:16-alpine"}, "db: pulling docker.io/library/postgres:16-alpine"},
		{actors.Event{Type: actors.ResourceStarting, Resource: "db"}, "db: starting"},
		{actors.Event{Type: actors.ResourceStarted, Resource: "db", ContainerID: "shop_db", TS: t0}, "db: started (container shop_db, 10.213.0.2, 127.0.0.1:5432->5432)"},
		{actors.Event{Type: actors.ResourceHealthy, Resource: "db", TS: t0.Add(1400 * time.Millisecond)}, "db: healthy after 1.4s"},
		{actors.Event{Type: actors.ResourceStarted, Resource: "api", ContainerID: "shop_api", TS: t0}, "api: started (container shop_api)"},
		{actors.Event{Type: actors.ResourceHealthy, Resource: "api", TS: t0}, "api: running"},
		{actors.Event{Type: actors.StackStarted}, ""},
		{actors.Event{Type: actors.ResourceUnhealthy, Resource: "db"}, "db: unhealthy"},
		{actors.Event{Type: actors.ResourceHealthy, Resource: "db"}, "db: healthy"},
		{actors.Event{Type: actors.ResourceExited, Resource: "api", ExitCode: &code}, "api: exited with code 3"},
		{actors.Event{Type: actors.ResourceRestarting, Resource: "api", Attempt: 2}, "api: restarting (attempt 2)"},
		{actors.Event{Type: actors.ResourceFailed, Resource: "api", Error: `not started: dependency "db" failed`}, "api: not started (dependency db failed)"},
		{actors.Event{Type: actors.ResourceFailed, Resource: "db", Error: "boom"}, "db: failed: boom"},
		{actors.Event{Type: actors.ResourceStopping, Resource: "db"}, ""},
		{actors.Event{Type: actors.ResourceStopped, Resource: "db"}, "db: stopped"},
		{actors.Event{Type: actors.StackStopped}, "[shop] stopped"},
	}
	for _, tt := range tests {
		if got := el.render(tt.e); got != tt.want {
			t.Errorf("%s %s: got %q, want %q", tt.e.Type, tt.e.Resource, got, tt.want)
		}
	}
}

// docs/spec/runtime.md §16.3: once a dependency has started, each resource waiting on it says
// once, during startup, which of its dependencies are not ready yet.
func TestEventLinesWaiting(t *testing.T) {
	body := "project: {name: shop}\nresources:\n" +
		"  db:\n    postgres: {}\n  cache:\n    redis: {}\n" +
		"  api:\n    container: {image: 'a:1', depends_on: [db, cache]}\n" +
		"  web:\n    container: {image: 'w:1', depends_on: [api]}\n"
	ld := loadForTest(t, writeManifest(t, body, nil))
	p, diags := plan.Build(ld.manifest, plan.Options{Env: ld.env})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	el := newEventLines(p, fixedViews{}, "")
	steps := []struct {
		e    actors.Event
		want []string
	}{
		{actors.Event{Type: actors.ResourceStarting, Resource: "cache"}, nil},
		{actors.Event{Type: actors.ResourceStarted, Resource: "cache"}, []string{"api: waiting for db, cache"}},
		{actors.Event{Type: actors.ResourceHealthy, Resource: "cache"}, nil},
		{actors.Event{Type: actors.ResourceStarted, Resource: "db"}, nil}, // api said it already
		{actors.Event{Type: actors.ResourceHealthy, Resource: "db"}, nil},
		{actors.Event{Type: actors.ResourceStarting, Resource: "api"}, nil},
		{actors.Event{Type: actors.ResourceStarted, Resource: "api"}, []string{"web: waiting for api"}},
		{actors.Event{Type: actors.StackStarted}, nil},
		{actors.Event{Type: actors.ResourceStarted, Resource: "api"}, nil}, // a restart later
	}
	for i, st := range steps {
		if got := el.waiting(st.e); !slices.Equal(got, st.want) {
			t.Errorf("step %d (%s %s): got %q, want %q", i, st.e.Type, st.e.Resource, got, st.want)
		}
		if st.e.Type == actors.StackStarted {
			el.render(st.e)
		}
	}
}

// docs/spec/runtime.md §12.3 failure report.
func TestStartupReport(t *testing.T) {
	tests := []struct {
		err  *actors.StartupError
		want string
	}{
		{&actors.StartupError{Resource: "api", Reason: "exited with code 3 before becoming ready", LastLines: []string{"a", "b"}},
			"error: startup failed: resource \"api\": exited with code 3 before becoming ready\nlast 20 log lines of api:\n  a\n  b\n"},
		{&actors.StartupError{Resource: "api", Reason: "x"}, "error: startup failed: resource \"api\": x\nlast 20 log lines of api:\n  (no output)\n"},
	}
	for _, tt := range tests {
		s, _, errb := downSession(t)
		if code := s.report(s.startupReport(tt.err, nil)); code != 1 || errb.String() != tt.want {
			t.Errorf("code %d stderr %q", code, errb.String())
		}
	}
}

func loadForTest(t *testing.T, path string) *loaded {
	t.Helper()
	s, _, errb := downSession(t)
	s.opts.File = path
	s.lookupEnv = func(string) (string, bool) { return "", false }
	ld, err := s.load("", false)
	if err != nil {
		t.Fatalf("%v: %s", err, errb)
	}
	return ld
}

// docs/spec/manifest.md §26.2: pull requires the variables its image references need, and only
// those; it fails before contacting containerd.
func TestPullMissingImageVariable(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container:\n      image: 'x/${env.TAGLESS}:1'\n      env: {T: '${env.OTHER}'}\n", nil)
	r := run(t, nil, "--address", "/nonexistent.sock", "-f", path, "pull")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "error: missing required environment variable(s): TAGLESS (set them in ") {
		t.Errorf("code %d stderr %q", r.code, r.stderr)
	}
}
