package actors

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/fakert"
	"github.com/lightshuttle/lsctl/plan"
)

// Issue 13: a resource stopped by hand is stopped (not exited), keeps its container,
// and its restart policy leaves it so; start gives the same container a new task and
// waits for readiness; dependents are untouched.
func TestStopAndStartByHand(t *testing.T) {
	b := newPlan("shop")
	db := b.add("db")
	db.Restart, db.Health = plan.RestartAlways, health(time.Second, time.Second, 3, time.Second)
	b.add("api", "db")
	rt := fakert.New()
	o, attempts := countedBackoff()
	s := startReady(t, b.p, rt, o)
	serial := rt.ContainerSerial("db")
	n := len(s.events())
	if changed, err := s.h.StopResource("db", 0); err != nil || !changed {
		t.Fatalf("stop db: %v %v", changed, err)
	}
	s.await(ResourceStopped, "db", 2*time.Second)
	if v, _ := s.h.Get("db"); v.Status != StatusStopped || rt.Running("db") {
		t.Fatalf("after stop: status %s, running %v", v.Status, rt.Running("db"))
	}
	if changed, err := s.h.StopResource("db", 0); err != nil || changed {
		t.Fatalf("second stop: changed %v, err %v; want a no-op", changed, err)
	}
	if attempts.Load() != 0 {
		t.Fatalf("the restart policy was asked to bring db back")
	}
	if changed, err := s.h.StartResource("db"); err != nil || !changed {
		t.Fatalf("start db: %v %v", changed, err)
	}
	s.awaitNth(ResourceHealthy, "db", 2, 2*time.Second)
	want := []EventType{ResourceStopping, ResourceStopped, ResourceStarting, ResourceStarted, ResourceHealthy}
	if got := typesOf(s.events()[n:], "db"); !slices.Equal(got, want) {
		t.Errorf("db events %v, want %v", got, want)
	}
	if got := typesOf(s.events()[n:], "api"); len(got) != 0 {
		t.Errorf("the dependent was touched: %v", got)
	}
	if rt.ContainerSerial("db") != serial || rt.Revived("db") != 1 {
		t.Errorf("start recreated the container (serial %d, was %d; revived %d)", rt.ContainerSerial("db"), serial, rt.Revived("db"))
	}
	if changed, err := s.h.StartResource("db"); err != nil || changed {
		t.Fatalf("start of a running resource: changed %v, err %v; want a no-op", changed, err)
	}
	if v, _ := s.h.Get("db"); v.Restarts != 0 || attempts.Load() != 0 {
		t.Errorf("stop and start counted as %d restarts, %d policy attempts", v.Restarts, attempts.Load())
	}
	s.stop(false, 5*time.Second)
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
}

// Issue 13: a stopped resource is removed by the shutdown like any other; a stop
// cancels a pending policy attempt; requests are refused while another runs.
func TestStopByHandEdges(t *testing.T) {
	b := newPlan("p")
	b.add("w").Restart = plan.RestartAlways
	b.add("v")
	rt := fakert.New()
	rt.Set("v", fakert.Behavior{Stop: 200 * time.Millisecond, Prepare: 100 * time.Millisecond})
	o := fast()
	o.Backoff = func(int) time.Duration { return time.Hour }
	s := startStack(t, b.p, rt, o)
	if _, err := s.h.StopResource("w", 0); !errors.Is(err, ErrStackStarting) {
		t.Fatalf("stop while starting: %v", err)
	}
	if err := s.waitReady(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := rt.Exit("w", 1); err != nil {
		t.Fatal(err)
	}
	s.await(ResourceExited, "w", time.Second) // attempt 1 pending for an hour
	if _, err := s.h.StopResource("w", 0); err != nil {
		t.Fatal(err)
	}
	s.await(ResourceStopped, "w", 2*time.Second)
	if v, _ := s.h.Get("w"); v.Status != StatusStopped {
		t.Fatalf("status %s, want stopped", v.Status)
	}
	if _, err := s.h.StopResource("v", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.h.StartResource("v"); !errors.Is(err, ErrBusy) {
		t.Fatalf("start during a stop: %v, want ErrBusy", err)
	}
	if err := s.h.Restart("v"); !errors.Is(err, ErrRestartInProgress) {
		t.Fatalf("restart during a stop: %v", err)
	}
	if _, err := s.h.StopResource("nope", 0); !errors.Is(err, ErrUnknownResource) {
		t.Fatalf("unknown: %v", err)
	}
	s.await(ResourceStopped, "v", 2*time.Second)
	s.stop(false, 5*time.Second)
	if err := rt.Clean(); err != nil {
		t.Fatalf("the shutdown left a container stopped by hand: %v", err)
	}
}

// Issue 13: an exit right after a kill by hand is a stop by hand (stopped, no policy);
// a signal the task survives changes nothing, and a later crash is supervised again.
func TestKillByHand(t *testing.T) {
	b := newPlan("p")
	b.add("w").Restart = plan.RestartAlways
	rt := fakert.New()
	o, attempts := countedBackoff()
	s := startReady(t, b.p, rt, o)
	if handled, err := s.h.KillResource(context.Background(), "w", syscall.SIGHUP); err != nil || !handled {
		t.Fatalf("kill -s HUP: %v %v", handled, err)
	}
	if v, _ := s.h.Get("w"); v.Status != StatusRunning || !rt.Running("w") {
		t.Fatalf("a survived signal changed w: %s", v.Status)
	}
	if _, err := s.h.KillResource(context.Background(), "w", syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.await(ResourceStopped, "w", 2*time.Second)
	v, _ := s.h.Get("w")
	if v.Status != StatusStopped || v.ExitCode == nil || *v.ExitCode != 137 || count(s.events(), ResourceExited, "w") != 0 || attempts.Load() != 0 {
		t.Fatalf("after kill: %+v, events %s", v, describe(s.events()))
	}
	if _, err := s.h.KillResource(context.Background(), "w", syscall.SIGKILL); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("kill of a stopped resource: %v", err)
	}
	if _, err := s.h.StartResource("w"); err != nil {
		t.Fatal(err)
	}
	s.awaitNth(ResourceHealthy, "w", 2, 2*time.Second)
	if rt.Revived("w") != 1 { // the kill labelled the container: kept, as after a stop
		t.Errorf("start after a kill by hand recreated the container (revived %d)", rt.Revived("w"))
	}
	if err := rt.Exit("w", 3); err != nil { // a crash, not a kill: the policy applies
		t.Fatal(err)
	}
	s.await(ResourceRestarting, "w", 2*time.Second)
	s.awaitNth(ResourceHealthy, "w", 3, 2*time.Second)
	s.stop(false, 5*time.Second)
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
}

// countedBackoff is fast() whose backoff counts the policy attempts it schedules.
func countedBackoff() (Options, *atomic.Int32) {
	var n atomic.Int32
	o := fast()
	o.Backoff = func(int) time.Duration {
		n.Add(1)
		return 5 * time.Millisecond
	}
	return o, &n
}

func typesOf(evs []Event, resource string) []EventType {
	var out []EventType
	for _, e := range evs {
		if e.Resource == resource {
			out = append(out, e.Type)
		}
	}
	return out
}
