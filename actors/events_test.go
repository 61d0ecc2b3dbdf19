package actors

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/fakert"
	"github.com/lightshuttle/lsctl/plan"
)

// docs/spec/runtime.md §17 item 58 and §13.1: key order, nine fractional digits in UTC, and the
// type-specific fields.
func TestEventJSON_58(t *testing.T) {
	ts := time.Date(2025, 3, 4, 5, 6, 7, 120000000, time.FixedZone("X", 3600))
	code := 3
	cases := []struct {
		e    Event
		want string
	}{
		{Event{Type: ResourceStarted, Resource: "db", TS: ts, ContainerID: "shop_db"},
			`{"type":"resource_started","resource":"db","ts":"2025-03-04T04:06:07.120000000Z","container_id":"shop_db"}`},
		{Event{Type: StackStarting, TS: ts, Project: "shop"},
			`{"type":"stack_starting","ts":"2025-03-04T04:06:07.120000000Z","project":"shop"}`},
		{Event{Type: ResourceExited, Resource: "db", TS: ts, ExitCode: &code},
			`{"type":"resource_exited","resource":"db","ts":"2025-03-04T04:06:07.120000000Z","exit_code":3}`},
		{Event{Type: ResourceFailed, Resource: "db", TS: ts, Error: `bad "x"`},
			`{"type":"resource_failed","resource":"db","ts":"2025-03-04T04:06:07.120000000Z","error":"bad \"x\""}`},
		{Event{Type: ResourceRestarting, Resource: "db", TS: ts, Attempt: 2},
			`{"type":"resource_restarting","resource":"db","ts":"2025-03-04T04:06:07.120000000Z","attempt":2}`},
		{Event{Type: ResourcePulling, Resource: "db", TS: ts, Image: "docker.io/library/postgres:16-alpine"},
			`{"type":"resource_pulling","resource":"db","ts":"2025-03-04T04:06:07.120000000Z","image":"docker.io/library/postgres:16-alpine"}`},
		{Event{Type: ResourceHealthy, Resource: "db", TS: ts},
			`{"type":"resource_healthy","resource":"db","ts":"2025-03-04T04:06:07.120000000Z"}`},
	}
	for _, tc := range cases {
		got, err := json.Marshal(tc.e)
		if err != nil || string(got) != tc.want {
			t.Errorf("got %s (%v)\nwant %s", got, err, tc.want)
		}
	}
}

// Every event of a real run (with an exit, a restart and a failure) carries the
// envelope of §13.1 (docs/spec/runtime.md §17 item 58).
func TestEventsOfARunHaveTheirFields_58(t *testing.T) {
	b := newPlan("p")
	b.add("db").Restart = plan.RestartAlways
	rt := fakert.New()
	s := startReady(t, b.p, rt, fast())
	_ = rt.Exit("db", 2)
	s.awaitNth(ResourceHealthy, "db", 2, 2*time.Second)
	s.stop(false, 5*time.Second)
	tsRe := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$`)
	required := map[EventType]string{ResourceStarted: "container_id", ResourceExited: "exit_code",
		ResourceRestarting: "attempt", StackStarted: "project", ResourcePulling: "image"}
	seen := map[EventType]bool{}
	for _, e := range s.events() {
		raw, _ := json.Marshal(e)
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if ts, _ := m["ts"].(string); !tsRe.MatchString(ts) {
			t.Errorf("%s: ts %q", raw, ts)
		}
		if _, ok := m["resource"]; ok == e.IsStackEvent() {
			t.Errorf("%s: resource key presence", raw)
		}
		if f := required[e.Type]; f != "" {
			seen[e.Type] = true
			if _, ok := m[f]; !ok {
				t.Errorf("%s lacks %s", raw, f)
			}
		}
	}
	if len(seen) != len(required) {
		t.Errorf("not every event type was seen: %v", seen)
	}
}

// Internal subscribers are lossless; external ones are cut off when 256 behind;
// publishing never blocks; there is no replay.
func TestBusSubscribers(t *testing.T) {
	bs := newBus()
	bs.publish(Event{Type: "before"})
	internal, cancelInternal := bs.subscribe(false)
	external, _ := bs.subscribe(true)
	const n = 5000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < n; i++ {
			bs.publish(Event{Type: "e", Attempt: i}) // nobody is reading: must not block
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("publish blocked")
	}
	got := 0
	for e := range external {
		if e.Attempt != got {
			t.Fatalf("external got %d, want %d", e.Attempt, got)
		}
		got++
	}
	if got != externalBuffer {
		t.Fatalf("external received %d before being disconnected, want %d", got, externalBuffer)
	}
	for i := 0; i < n; i++ {
		e := <-internal
		if e.Type != "e" || e.Attempt != i {
			t.Fatalf("internal event %d = %+v", i, e)
		}
	}
	cancelInternal()
	if _, ok := <-internal; ok {
		t.Fatal("channel open after cancel")
	}
	late, _ := bs.subscribe(false)
	bs.publish(Event{Type: "last"})
	bs.close()
	if e := <-late; e.Type != "last" {
		t.Fatalf("late subscriber got %+v", e)
	}
	if _, ok := <-late; ok {
		t.Fatal("channel open after close")
	}
}

// §14: field names, null for never-started fields, [] for empty lists.
func TestViewJSON(t *testing.T) {
	b := newPlan("shop")
	b.add("db")
	b.add("api", "db")
	h := New(b.p, fakert.New(), Options{})
	v, ok := h.Get("api")
	if !ok {
		t.Fatal("no view")
	}
	raw, _ := json.Marshal(v)
	want := `{"name":"api","kind":"container","status":"pending","image":"docker.io/library/api:latest","container_id":null,"ip":null,"ports":[],"started_at":null,"restarts":0,"exit_code":null,"last_error":null,"depends_on":["db"]}`
	if string(raw) != want {
		t.Fatalf("got  %s\nwant %s", raw, want)
	}
	at := time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)
	v.StartedAt = &at
	raw, _ = json.Marshal(v)
	if !regexp.MustCompile(`"started_at":"2025-03-04T05:06:07.123456789Z"`).Match(raw) {
		t.Fatalf("started_at: %s", raw)
	}
	if l := h.List(); len(l) != 2 || l[0].Name != "db" || l[1].Name != "api" {
		t.Fatalf("List order: %+v", l)
	}
}
