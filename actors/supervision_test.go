package actors

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/fakert"
	"github.com/lightshuttle/lsctl/plan"
)

// docs/spec/runtime.md §17 item 42: an exit after ready is reported with its code, the status is
// exited and dependents keep running.
func TestExitAfterReadyReported_42(t *testing.T) {
	b := newPlan("p")
	b.add("db")
	b.add("api", "db")
	rt := fakert.New()
	s := startReady(t, b.p, rt, fast())
	if err := rt.Exit("db", 137); err != nil {
		t.Fatal(err)
	}
	e := s.await(ResourceExited, "db", time.Second)
	if e.ExitCode == nil || *e.ExitCode != 137 {
		t.Fatalf("exit code %v", e.ExitCode)
	}
	v, _ := s.h.Get("db")
	if v.Status != StatusExited || v.ExitCode == nil || *v.ExitCode != 137 {
		t.Fatalf("db view %+v", v)
	}
	if !rt.Running("api") {
		t.Fatal("dependent api was stopped")
	}
	s.stop(false, 5*time.Second)
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
}

// docs/spec/runtime.md §17 item 43 (durations injected): on-failure restarts after each exit
// with attempts 1, 2, 3 ... and the backoff of each attempt.
func TestOnFailureBackoff_43(t *testing.T) {
	b := newPlan("p")
	b.add("w").Restart = plan.RestartOnFailure
	rt := fakert.New()
	rt.Set("w", fakert.Behavior{ExitAfter: 10 * time.Millisecond, ExitCode: 1, ExitEveryStart: true})
	var mu sync.Mutex
	var asked []int
	o := fast()
	o.Backoff = func(n int) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, n)
		return time.Duration(n) * 5 * time.Millisecond
	}
	s := startReady(t, b.p, rt, o)
	for n := 1; n <= 4; n++ {
		e := s.awaitNth(ResourceRestarting, "w", n, 5*time.Second)
		if e.Attempt != n {
			t.Fatalf("restart %d has attempt %d", n, e.Attempt)
		}
		exit := s.awaitNth(ResourceExited, "w", n, time.Second)
		if gap := e.TS.Sub(exit.TS); gap < time.Duration(n)*5*time.Millisecond {
			t.Fatalf("attempt %d after %s, want its backoff", n, gap)
		}
	}
	s.stop(false, 5*time.Second)
	mu.Lock()
	defer mu.Unlock()
	for i, n := range asked[:4] {
		if n != i+1 {
			t.Fatalf("backoff asked for %v", asked)
		}
	}
	if v, _ := s.h.Get("w"); v.Restarts < 4 {
		t.Fatalf("restarts = %d", v.Restarts)
	}
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
}

// docs/spec/runtime.md §12.5: the default backoff is min(2^(n-1) s, 30 s).
func TestDefaultBackoff_43(t *testing.T) {
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i, w := range want {
		if got := DefaultBackoff(i + 1); got != w*time.Second {
			t.Errorf("attempt %d: %s, want %s", i+1, got, w*time.Second)
		}
	}
}

// docs/spec/runtime.md §17 item 44: on-failure does not restart an exit 0; always does.
func TestRestartPolicies_44(t *testing.T) {
	cases := []struct {
		policy  plan.RestartPolicy
		code    int
		restart bool
	}{
		{plan.RestartOnFailure, 0, false},
		{plan.RestartOnFailure, 2, true},
		{plan.RestartAlways, 0, true},
		{plan.RestartNo, 1, false},
	}
	for _, tc := range cases {
		t.Run(string(tc.policy), func(t *testing.T) {
			b := newPlan("p")
			b.add("w").Restart = tc.policy
			b.add("marker") // stays up: makes "restart did not happen" observable
			rt := fakert.New()
			s := startReady(t, b.p, rt, fast())
			if err := rt.Exit("w", tc.code); err != nil {
				t.Fatal(err)
			}
			s.await(ResourceExited, "w", time.Second)
			if tc.restart {
				s.awaitNth(ResourceHealthy, "w", 2, 2*time.Second)
				if !rt.Running("w") {
					t.Fatal("not running after the restart")
				}
			} else {
				// Absence cannot be awaited: give a 5ms backoff ten times its length.
				time.Sleep(50 * time.Millisecond)
				if n := count(s.events(), ResourceRestarting, "w"); n != 0 {
					t.Fatalf("%d restarts", n)
				}
			}
			s.stop(false, 5*time.Second)
			if err := rt.Clean(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// docs/spec/runtime.md §17 item 45 (ResetAfter injected): after staying ready for ResetAfter,
// the next failure is attempt 1 again.
func TestAttemptCounterResets_45(t *testing.T) {
	b := newPlan("p")
	b.add("w").Restart = plan.RestartAlways
	rt := fakert.New()
	o := fast()
	o.ResetAfter = 100 * time.Millisecond
	s := startReady(t, b.p, rt, o)
	for n := 1; n <= 2; n++ { // exits right after readiness: the counter grows
		if err := rt.Exit("w", 1); err != nil {
			t.Fatal(err)
		}
		if e := s.awaitNth(ResourceRestarting, "w", n, 2*time.Second); e.Attempt != n {
			t.Fatalf("attempt %d, want %d", e.Attempt, n)
		}
		s.awaitNth(ResourceHealthy, "w", n+1, 2*time.Second)
	}
	time.Sleep(3 * o.ResetAfter) // stay ready longer than ResetAfter
	if err := rt.Exit("w", 1); err != nil {
		t.Fatal(err)
	}
	if e := s.awaitNth(ResourceRestarting, "w", 3, 2*time.Second); e.Attempt != 1 {
		t.Fatalf("after a long ready period attempt %d, want 1", e.Attempt)
	}
}

// §12.2 step 8: before stack_started, a policy-no exit 0 after readiness is accepted,
// a non-zero one fails the startup.
func TestExitBeforeStackStarted(t *testing.T) {
	cases := []struct {
		code int
		ok   bool
	}{{0, true}, {4, false}}
	for _, tc := range cases {
		b := newPlan("p")
		b.add("job")
		b.add("slow").Health = health(time.Second, time.Second, 3, time.Second)
		rt := fakert.New()
		rt.Set("job", fakert.Behavior{ExitAfter: 20 * time.Millisecond, ExitCode: tc.code})
		rt.Set("slow", fakert.Behavior{ProbePassAfter: 200 * time.Millisecond})
		s := startStack(t, b.p, rt, fast())
		err := s.waitReady(5 * time.Second)
		var se *StartupError
		if tc.ok && err != nil || !tc.ok && (!errors.As(err, &se) || se.Resource != "job" || se.Reason != "exited with code 4") {
			t.Fatalf("code %d: WaitReady = %v", tc.code, err)
		}
		if e := s.await(ResourceExited, "job", time.Second); *e.ExitCode != tc.code {
			t.Fatalf("exit code %d", *e.ExitCode)
		}
		s.stop(false, 5*time.Second)
		if err := rt.Clean(); err != nil {
			t.Fatal(err)
		}
	}
}

// §12.5: a policy attempt that fails (exit before ready) emits resource_failed, leaves
// the status exited and schedules the next attempt; stack stays up.
func TestFailedPolicyAttemptSchedulesNext(t *testing.T) {
	b := newPlan("p")
	b.add("w").Restart = plan.RestartOnFailure
	b.p.Nodes[0].Health = health(time.Second, time.Second, 3, time.Second)
	rt := fakert.New()
	s := startReady(t, b.p, rt, fast())
	rt.Set("w", fakert.Behavior{ProbePassAfter: time.Hour, ExitAfter: 5 * time.Millisecond, ExitCode: 1, ExitEveryStart: true})
	if err := rt.Exit("w", 1); err != nil {
		t.Fatal(err)
	}
	s.awaitNth(ResourceFailed, "w", 1, 2*time.Second)
	if e := s.awaitNth(ResourceRestarting, "w", 2, 2*time.Second); e.Attempt != 2 {
		t.Fatalf("attempt %d", e.Attempt)
	}
	rt.Set("w", fakert.Behavior{})
	s.awaitNth(ResourceHealthy, "w", 2, 2*time.Second)
	s.stop(false, 5*time.Second)
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
}

// §12.5: an attempt that misses its deadline has its container stopped and removed
// before the next attempt begins.
func TestDeadlineAttemptContainerRemovedFirst(t *testing.T) {
	b := newPlan("p")
	b.add("w").Restart = plan.RestartAlways
	b.p.Nodes[0].Health = health(10*time.Millisecond, 10*time.Millisecond, 1, 0)
	rt := fakert.New()
	o := fast()
	o.WaitTimeout = 60 * time.Millisecond
	o.Backoff = func(int) time.Duration { return 30 * time.Millisecond }
	s := startReady(t, b.p, rt, o)
	rt.Set("w", fakert.Behavior{ProbePassAfter: time.Hour})
	if err := rt.Exit("w", 1); err != nil {
		t.Fatal(err)
	}
	s.await(ResourceFailed, "w", 2*time.Second)
	s.awaitNth(ResourceRestarting, "w", 2, 2*time.Second)
	s.awaitNth(ResourceStarted, "w", 3, 2*time.Second) // attempt 2 prepared and started
	// The safety property: attempt 2 prepares its container (same ID) only after the
	// failed attempt 1's container was removed. The removal may be recorded before the
	// resource_failed event is stamped, so the order is read from the call log alone.
	var ops []string
	for _, c := range rt.Calls() {
		if c.Op == "prepare" || c.Op == "remove" {
			ops = append(ops, c.Op)
		}
	}
	last := -1 // the latest prepare: later attempts may have begun meanwhile
	for i, op := range ops {
		if op == "prepare" {
			last = i
		}
	}
	if last < 2 || ops[last-1] != "remove" {
		t.Fatalf("the failed attempt's container was not removed before the next attempt prepared: %v", ops)
	}
	if v, _ := s.h.Get("w"); v.Status == StatusFailed {
		t.Fatalf("a failed policy attempt leaves the status exited, got %s", v.Status)
	}
	rt.Set("w", fakert.Behavior{})
	s.stop(false, 5*time.Second)
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
}
