package actors

import (
	"errors"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/fakert"
	"github.com/lightshuttle/lsctl/plan"
)

// docs/spec/runtime.md §17 item 46: restart db ⇒ stopping, stopped, starting, started, healthy
// for db, in order; the dependent's container is unchanged.
func TestRestartOne_46(t *testing.T) {
	b := newPlan("shop")
	b.add("db").Health = health(time.Second, time.Second, 3, time.Second)
	b.add("api", "db")
	rt := fakert.New()
	s := startReady(t, b.p, rt, fast())
	apiBefore, dbBefore := rt.ContainerSerial("api"), rt.ContainerSerial("db")
	n := len(s.events())
	if err := s.h.Restart("db"); err != nil {
		t.Fatal(err)
	}
	s.awaitNth(ResourceHealthy, "db", 2, 2*time.Second)
	var seq []EventType
	for _, e := range s.events()[n:] {
		if e.Resource == "db" {
			seq = append(seq, e.Type)
		}
		if e.Resource == "api" {
			t.Fatalf("dependent touched: %s", e.Type)
		}
	}
	want := []EventType{ResourceStopping, ResourceStopped, ResourceStarting, ResourceStarted, ResourceHealthy}
	if len(seq) != len(want) {
		t.Fatalf("events %v, want %v", seq, want)
	}
	for i := range want {
		if seq[i] != want[i] {
			t.Fatalf("events %v, want %v", seq, want)
		}
	}
	if rt.ContainerSerial("api") != apiBefore || rt.ContainerSerial("db") == dbBefore {
		t.Fatal("restart must recreate db only")
	}
	if v, _ := s.h.Get("db"); v.Restarts != 1 || v.Status != StatusHealthy {
		t.Fatalf("db view %+v", v)
	}
	// The permit is released once ready: another restart is accepted.
	if err := s.h.Restart("db"); err != nil {
		t.Fatalf("second restart: %v", err)
	}
	s.awaitNth(ResourceHealthy, "db", 3, 2*time.Second)
	s.stop(false, 5*time.Second)
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
}

// docs/spec/runtime.md §17 items 47 and 48: a concurrent duplicate restart is rejected; other
// resources restart concurrently; unknown names and stack phases are rejected.
func TestRestartPermits_47(t *testing.T) {
	b := newPlan("p")
	b.add("cache")
	b.add("api")
	rt := fakert.New()
	rt.Set("cache", fakert.Behavior{Prepare: 100 * time.Millisecond, Pull: 50 * time.Millisecond})
	s := startStack(t, b.p, rt, fast())
	if err := s.h.Restart("api"); !errors.Is(err, ErrStackStarting) {
		t.Fatalf("restart while starting: %v", err)
	}
	if err := s.waitReady(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.h.Restart("cache"); err != nil {
		t.Fatal(err)
	}
	if err := s.h.Restart("cache"); !errors.Is(err, ErrRestartInProgress) {
		t.Fatalf("duplicate restart: %v", err)
	}
	if err := s.h.Restart("api"); err != nil {
		t.Fatalf("concurrent restart of another resource: %v", err)
	}
	if err := s.h.Restart("nope"); !errors.Is(err, ErrUnknownResource) {
		t.Fatalf("unknown resource: %v", err)
	}
	s.awaitNth(ResourceHealthy, "cache", 2, 2*time.Second)
	s.awaitNth(ResourceHealthy, "api", 2, 2*time.Second)
	s.h.Shutdown(false)
	if err := s.h.Restart("api"); !errors.Is(err, ErrStackStopping) {
		t.Fatalf("restart while stopping: %v", err)
	}
	s.waitDone(5 * time.Second)
}

// §12.6 step 4 and §12.5: a failed manual restart releases the permit; a manual
// restart cancels a pending policy attempt.
func TestRestartFailureAndPendingAttempt(t *testing.T) {
	b := newPlan("p")
	b.add("w").Restart = plan.RestartAlways
	rt := fakert.New()
	o := fast()
	o.Backoff = func(int) time.Duration { return time.Hour }
	s := startReady(t, b.p, rt, o)
	if err := rt.Exit("w", 1); err != nil {
		t.Fatal(err)
	}
	s.await(ResourceExited, "w", time.Second) // attempt 1 pending for an hour
	if err := s.h.Restart("w"); err != nil {
		t.Fatal(err)
	}
	s.awaitNth(ResourceHealthy, "w", 2, 2*time.Second)
	if n := count(s.events(), ResourceRestarting, "w"); n != 0 {
		t.Fatalf("policy attempt ran: %d", n)
	}
	rt.Set("w", fakert.Behavior{StartErr: errors.New("no")})
	if err := s.h.Restart("w"); err != nil {
		t.Fatal(err)
	}
	if e := s.await(ResourceFailed, "w", 2*time.Second); e.Error != "starting task: no" {
		t.Fatalf("error %q", e.Error)
	}
	if v, _ := s.h.Get("w"); v.Status != StatusFailed {
		t.Fatalf("status %s", v.Status)
	}
	rt.Set("w", fakert.Behavior{})
	if err := s.h.Restart("w"); err != nil {
		t.Fatalf("permit not released after failure: %v", err)
	}
	s.awaitNth(ResourceHealthy, "w", 3, 2*time.Second)
	s.stop(false, 5*time.Second)
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
}
