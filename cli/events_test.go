package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control/controltest"
)

// historyPlane is a fake owner that remembers events for --since.
type historyPlane struct {
	*controltest.Plane
	past []actors.Event
}

func (h *historyPlane) SubscribeSince(since time.Time) ([]actors.Event, <-chan actors.Event, func()) {
	var out []actors.Event
	for _, e := range h.past {
		if !e.TS.Before(since) {
			out = append(out, e)
		}
	}
	ch, cancel := h.Subscribe(true)
	return out, ch, cancel
}

// Issue 13: events prints the owner's events, one line each or NDJSON, the
// remembered ones first with --since, until the stack stops.
func TestEvents(t *testing.T) {
	path := writeManifest(t, shopHandManifest, nil)
	now := time.Now().UTC()
	ts := func(d time.Duration) time.Time { return now.Add(d) }
	code := 3
	live := []actors.Event{
		{Type: actors.ResourceExited, Resource: "api", TS: ts(0), ExitCode: &code},
		{Type: actors.ResourceRestarting, Resource: "api", TS: ts(time.Second), Attempt: 1},
		{Type: actors.ResourceFailed, Resource: "api", TS: ts(2 * time.Second), Error: "exited with code 3 before becoming ready"},
		{Type: actors.StackStopped, TS: ts(3 * time.Second), Project: "shop"},
	}
	old := actors.Event{Type: actors.ResourceStarted, Resource: "db", TS: ts(-time.Hour), ContainerID: "shop_db"}
	recent := actors.Event{Type: actors.ResourceHealthy, Resource: "db", TS: ts(-time.Minute)}
	f := func(e actors.Event) string { return e.TS.Format(actors.TimeFormat) }
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"events"}, f(live[0]) + " api exited exit_code=3\n" + f(live[1]) + " api restarting attempt=1\n" +
			f(live[2]) + " api failed error=\"exited with code 3 before becoming ready\"\n" + f(live[3]) + " [shop] stopped\n"},
		{[]string{"events", "--since", "10m"}, f(recent) + " db healthy\n" + f(live[0]) + " api exited exit_code=3\n"},
		{[]string{"events", "--since", "2h"}, f(old) + " db started container=shop_db\n" + f(recent) + " db healthy\n"},
		{[]string{"events", "--json"}, `{"type":"resource_exited","resource":"api","ts":"` + f(live[0]) + `","exit_code":3}` + "\n"},
	}
	for _, tt := range tests {
		root := t.TempDir()
		hp := &historyPlane{Plane: controltest.NewPlane("shop", runningShop()...), past: []actors.Event{old, recent}}
		serveHistory(t, root, hp)
		go func() {
			for hp.Subscribers() < 2 { // the metrics and lsctl events
				time.Sleep(time.Millisecond)
			}
			for _, e := range live {
				hp.Publish(e)
			}
		}()
		r := run(t, nil, append([]string{"--data-root", root, "-f", path}, tt.args...)...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, tt.want) || r.stderr != "" {
			t.Errorf("lsctl %v: code %d stdout %q stderr %q; want the stdout to start with %q", tt.args, r.code, r.stdout, r.stderr, tt.want)
		}
	}
}

// Issue 13: events needs an owner, and a valid --since.
func TestEventsErrors(t *testing.T) {
	path := writeManifest(t, shopHandManifest, nil)
	r := run(t, nil, "--data-root", t.TempDir(), "-f", path, "events")
	if r.code != 1 || r.stderr != "error: no lsctl up or background supervisor runs for project \"shop\", and events come from it; start one with lsctl up -d\n" {
		t.Errorf("events without an owner: code %d stderr %q", r.code, r.stderr)
	}
	r = run(t, nil, "--data-root", t.TempDir(), "-f", path, "events", "--since", "yesterday")
	if r.code != 2 || !strings.HasPrefix(r.stderr, "error: invalid value \"yesterday\" for --since: expected a duration such as 10m or 1h30m, or an RFC 3339 time\n") {
		t.Errorf("events --since yesterday: code %d stderr %q", r.code, r.stderr)
	}
}

// serveHistory serves hp as the owner of project shop on root's socket.
func serveHistory(t *testing.T, root string, hp *historyPlane) {
	t.Helper()
	serveOwner(t, root, hp)
}
