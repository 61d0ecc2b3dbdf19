package actors

import (
	"context"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/containerdrt/fakert"
	"github.com/lightshuttle/lsctl/plan"
)

// awaitCalls waits until the fake runtime recorded at least n more calls of op than
// before (calls have no event to await).
func awaitCalls(t *testing.T, rt *fakert.Runtime, op string, before, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for len(rt.CallsOf(op)) < before+n {
		if time.Now().After(deadline) {
			t.Fatalf("%d %s calls within %s, want %d", len(rt.CallsOf(op))-before, op, d, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// exitCode is the exit code an event carries, -1 when none.
func exitCode(e Event) int {
	if e.ExitCode == nil {
		return -1
	}
	return *e.ExitCode
}

// assertPolicyRestart checks that resource's exit is reported with code and that the
// restart policy makes it ready again, then stops the stack and checks it is clean.
func assertPolicyRestart(t *testing.T, s *stack, rt *fakert.Runtime, resource string, code int, d time.Duration) {
	t.Helper()
	if e := s.await(ResourceExited, resource, d); exitCode(e) != code {
		t.Fatalf("resource_exited of %s with code %d, want %d", resource, exitCode(e), code)
	}
	s.await(ResourceRestarting, resource, 2*time.Second)
	s.awaitNth(ResourceHealthy, resource, 2, 2*time.Second)
	s.stop(false, 5*time.Second)
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
}

// Issue 11 item 2: probes that fail because containerd is down neither make a healthy
// container unhealthy nor restart it; an exit during the outage is reported with its
// status once containerd answers again, and the restart policy applies.
func TestOutageHoldsHealthAndReportsHeldExit(t *testing.T) {
	b := newPlan("p")
	web := b.add("web")
	web.Health = health(10*time.Millisecond, time.Second, 2, 0)
	web.Restart = plan.RestartAlways
	rt := fakert.New()
	s := startReady(t, b.p, rt, fast())
	rt.SetUnavailable(true)
	awaitCalls(t, rt, "exec", len(rt.CallsOf("exec")), 5, 2*time.Second) // more than retries
	if err := rt.Exit("web", 137); err != nil {
		t.Fatal(err)
	}
	awaitCalls(t, rt, "exec", len(rt.CallsOf("exec")), 3, 2*time.Second)
	for _, typ := range []EventType{ResourceUnhealthy, ResourceExited, ResourceRestarting} {
		if i := index(s.events(), typ, "web"); i >= 0 {
			t.Fatalf("%s during the outage; events: %s", typ, describe(s.events()))
		}
	}
	if v, _ := s.h.Get("web"); v.Status != StatusHealthy {
		t.Fatalf("status %q during the outage, want healthy (held)", v.Status)
	}
	rt.SetUnavailable(false)
	assertPolicyRestart(t, s, rt, "web", 137, 2*time.Second)
}

// breakWatchWhileDown starts a stack of one resource job with policy, then, with
// containerd down, closes job's exit channel without a status and waits for the
// resource's first attempt to watch the task again (which fails: containerd is down).
func breakWatchWhileDown(t *testing.T, policy plan.RestartPolicy) (*stack, *fakert.Runtime) {
	t.Helper()
	b := newPlan("p")
	b.add("job").Restart = policy
	rt := fakert.New()
	s := startReady(t, b.p, rt, fast())
	rt.SetUnavailable(true)
	if err := rt.BreakExitStream("job"); err != nil {
		t.Fatal(err)
	}
	awaitCalls(t, rt, "watch", 0, 1, 2*time.Second)
	return s, rt
}

// Issue 11 item 2: an Exited channel that closes without a status is a lost watch, not
// an exit: the resource watches the task again (retrying while containerd is down),
// a running task stays adopted, and its later exit is supervised.
func TestLostExitWatchIsReestablished(t *testing.T) {
	s, rt := breakWatchWhileDown(t, plan.RestartOnFailure)
	serial := rt.ContainerSerial("job")
	rt.SetUnavailable(false)
	awaitCalls(t, rt, "watch", 0, 2, 3*time.Second) // the retry succeeds
	if index(s.events(), ResourceExited, "job") >= 0 || rt.ContainerSerial("job") != serial {
		t.Fatalf("a lost watch of a running task changed the resource; events: %s", describe(s.events()))
	}
	if err := rt.Exit("job", 3); err != nil {
		t.Fatal(err)
	}
	assertPolicyRestart(t, s, rt, "job", 3, 2*time.Second)
}

// Issue 11 item 2: a task that containerd no longer knows when the watch is
// re-established is an exit with containerdrt.UnknownExitCode; the policy applies.
func TestLostExitWatchOfDeletedTask(t *testing.T) {
	s, rt := breakWatchWhileDown(t, plan.RestartAlways)
	rt.SetUnavailable(false)
	// Deleted behind lsctl's back before the retry (a second later) watches again.
	if err := rt.Remove(context.Background(), "p_job"); err != nil {
		t.Fatal(err)
	}
	assertPolicyRestart(t, s, rt, "job", containerdrt.UnknownExitCode, 3*time.Second)
}
