package actors

import (
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/fakert"
)

// docs/spec/runtime.md §17 item 50 (order): dependents stop before their dependencies,
// independent branches in parallel, then the network goes and stack_stopped ends it.
func TestShutdownReverseOrder_50(t *testing.T) {
	b := newPlan("p")
	b.add("db")
	b.add("cache")
	b.add("api", "db", "cache")
	b.add("web", "api")
	b.add("worker", "db")
	rt := fakert.New()
	for _, n := range []string{"db", "cache", "api", "web", "worker"} {
		rt.Set(n, fakert.Behavior{Stop: 200 * time.Millisecond})
	}
	s := startReady(t, b.p, rt, fast())
	s.stop(false, 5*time.Second)
	evs := s.events()
	assertReverseStopOrder(t, evs, b)
	// Three levels: web ∥ worker, then api, then db ∥ cache. Parallel stops overlap: each
	// begins before the other's 200 ms stop has ended.
	for _, pair := range [][2]string{{"web", "worker"}, {"db", "cache"}} {
		a, z := pair[0], pair[1]
		if index(evs, ResourceStopping, z) > index(evs, ResourceStopped, a) || index(evs, ResourceStopping, a) > index(evs, ResourceStopped, z) {
			t.Fatalf("%s and %s did not stop in parallel: %s", a, z, describe(evs))
		}
	}
	last := rt.Calls()[len(rt.Calls())-1]
	if last.Op != "teardown-network" || evs[len(evs)-1].Type != StackStopped {
		t.Fatalf("network teardown must come last: %+v", last)
	}
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
	if err := s.h.Err(); err != nil {
		t.Fatal(err)
	}
	for _, v := range s.h.List() {
		if v.Status != StatusStopped || v.ContainerID != nil {
			t.Fatalf("%s after shutdown: %+v", v.Name, v)
		}
	}
}

// docs/spec/runtime.md §17 item 51: a second interrupt kills every remaining task at once and
// cleanup still completes.
func TestSecondInterruptKills_51(t *testing.T) {
	b := newPlan("p")
	b.add("db")
	b.add("api", "db")
	b.add("other")
	rt := fakert.New()
	for _, n := range []string{"db", "api", "other"} {
		rt.Set(n, fakert.Behavior{IgnoreTerm: true})
	}
	o := fast()
	o.Grace = time.Hour
	s := startReady(t, b.p, rt, o)
	s.h.Shutdown(false)
	s.await(ResourceStopping, "api", time.Second)
	s.h.Shutdown(true)
	s.h.Shutdown(true)           // further signals are ignored
	s.waitDone(10 * time.Second) // the grace period is an hour: only the kill ends it
	killed := map[string]bool{}
	for _, c := range rt.CallsOf("kill") {
		killed[c.Resource] = true
	}
	if !killed["db"] || !killed["api"] || !killed["other"] {
		t.Fatalf("kills: %v", killed)
	}
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
	assertReverseStopOrder(t, s.events(), b)
}

// Shutdown is idempotent and Done closes once.
func TestShutdownIdempotent(t *testing.T) {
	b := newPlan("p")
	b.add("a")
	rt := fakert.New()
	s := startReady(t, b.p, rt, fast())
	s.h.Shutdown(false)
	s.h.Shutdown(false)
	s.waitDone(5 * time.Second)
	s.h.Shutdown(true)
	if n := count(s.events(), StackStopped, ""); n != 1 {
		t.Fatalf("%d stack_stopped", n)
	}
}

// A kill during startup (second signal right away) still cleans everything up.
func TestKillDuringStartup(t *testing.T) {
	b := newPlan("p")
	b.add("db")
	b.add("api", "db")
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{IgnoreTerm: true, Start: 20 * time.Millisecond})
	rt.Set("api", fakert.Behavior{Pull: time.Hour})
	o := fast()
	o.Grace = time.Hour
	s := startStack(t, b.p, rt, o)
	s.await(ResourceStarting, "db", 2*time.Second)
	s.h.Shutdown(false)
	s.h.Shutdown(true)
	s.waitDone(2 * time.Second)
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
}

// docs/spec/runtime.md §12.7: a stop, of the stack or by hand, does not wait for an exec
// probe in flight to notice its cancellation (a runc exec being created can take half
// a second to): the stop goes at once, and what follows waits for the probe.
func TestStopDoesNotWaitForProbeInFlight(t *testing.T) {
	for _, byHand := range []bool{false, true} {
		b := newPlan("p")
		b.add("api").Health = health(10*time.Millisecond, time.Second, 3, 0)
		rt := fakert.New()
		s := startReady(t, b.p, rt, fast())
		begun, hold := make(chan struct{}, 1), make(chan struct{})
		rt.Set("api", fakert.Behavior{ProbeBlock: func() {
			select {
			case begun <- struct{}{}:
			default:
			}
			<-hold
		}})
		select {
		case <-begun:
		case <-time.After(5 * time.Second):
			t.Fatal("no probe began after ready")
		}
		if byHand {
			if _, err := s.h.StopResource("api", 0); err != nil {
				t.Fatal(err)
			}
		} else {
			s.h.Shutdown(false)
		}
		s.await(ResourceStopped, "api", 2*time.Second) // the probe is still held
		select {
		case <-s.h.Done():
			t.Fatal("the stack ended with a probe still in flight")
		default:
		}
		close(hold)
		s.stop(false, 2*time.Second)
		if err := rt.Clean(); err != nil {
			t.Fatal(err)
		}
	}
}
