package render

import (
	"slices"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// buildPlan is the plan of a valid manifest.
func buildPlan(t *testing.T, body string) *plan.Plan {
	t.Helper()
	m, diags := manifest.Decode("lightshuttle.yml", t.TempDir(), []byte(body))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p, diags := plan.Build(m, plan.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

type fixedViews map[string]actors.View

func (f fixedViews) Get(name string) (actors.View, bool) { v, ok := f[name]; return v, ok }

// docs/spec/runtime.md §16.3 plain lines, §12.3 dependency failure line.
func TestEventLines(t *testing.T) {
	p := buildPlan(t, "project: {name: shop}\nresources:\n  db:\n    postgres: {}\n  api:\n    container: {image: 'a:1', env: {U: '${resources.db.url}'}}\n")
	ip := "10.213.0.2"
	views := fixedViews{"db": {IP: &ip, Ports: []plan.PortBinding{{HostIP: "127.0.0.1", HostPort: 5432, ContainerPort: 5432, RequestedHostPort: 5432}}}}
	el := NewEventLines(p, views, "10.213.0.0/24")
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
		if got := el.Render(tt.e); got != tt.want {
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
	p := buildPlan(t, body)
	el := NewEventLines(p, fixedViews{}, "")
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
		if got := el.Waiting(st.e); !slices.Equal(got, st.want) {
			t.Errorf("step %d (%s %s): got %q, want %q", i, st.e.Type, st.e.Resource, got, st.want)
		}
		if st.e.Type == actors.StackStarted {
			el.Render(st.e)
		}
	}
}
