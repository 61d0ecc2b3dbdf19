package actors

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/fakert"
	"github.com/lightshuttle/lsctl/plan"
)

// docs/spec/runtime.md §17 item 32: a probe passing 300 ms after start with interval 5s is
// detected well under 1 s (§11.2 bound: 1.3 × T + 100 ms).
func TestAcceleratedProbing_32(t *testing.T) {
	b := newPlan("p")
	b.add("db").Health = health(5*time.Second, time.Second, 5, 5*time.Second)
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{ProbePassAfter: 300 * time.Millisecond})
	s := startReady(t, b.p, rt, fast())
	d := s.await(ResourceHealthy, "db", time.Second).TS.Sub(s.await(ResourceStarted, "db", time.Second).TS)
	if d < 300*time.Millisecond || d > 490*time.Millisecond {
		t.Fatalf("healthy %s after start, want within [300ms, 490ms]", d)
	}
	execs := rt.CallsOf("exec")
	if first := execs[0].At.Sub(rt.CallsOf("start")[0].At); first > 10*time.Millisecond {
		t.Fatalf("first probe %s after start, want within 10ms", first)
	}
}

// docs/spec/runtime.md §11.2 bound "ready at T ⇒ reported by 1.3 × T + 100 ms" holds with
// start_period 0s too (the §19 benchmark stacks use it): before the first pass probes keep
// the accelerated schedule, since failures before readiness never count (§11.3).
func TestAcceleratedUntilFirstPassWithoutStartPeriod(t *testing.T) {
	b := newPlan("p")
	b.add("db").Health = health(5*time.Second, time.Second, 5, 0)
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{ProbePassAfter: 300 * time.Millisecond})
	s := startReady(t, b.p, rt, fast())
	d := s.await(ResourceHealthy, "db", time.Second).TS.Sub(s.await(ResourceStarted, "db", time.Second).TS)
	if d < 300*time.Millisecond || d > 490*time.Millisecond {
		t.Fatalf("healthy %s after start, want within [300ms, 490ms] (1.3 × 300ms + 100ms)", d)
	}
}

// docs/spec/runtime.md §17 item 33: with start_interval 200ms, no gap between probes during the
// start period exceeds 200 ms plus the probe's duration.
func TestStartIntervalBoundsGaps_33(t *testing.T) {
	b := newPlan("p")
	h := health(5*time.Second, time.Second, 5, 10*time.Second)
	h.StartInterval = 200 * time.Millisecond
	b.add("db").Health = h
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{ProbePassAfter: 1500 * time.Millisecond, ProbeLatency: 5 * time.Millisecond})
	startReady(t, b.p, rt, fast())
	execs := rt.CallsOf("exec")
	if len(execs) < 8 {
		t.Fatalf("only %d probes in 1.5 s", len(execs))
	}
	for i := 1; i < len(execs); i++ {
		gap := execs[i].At.Sub(execs[i-1].At)
		// 60 ms of slack: timer wake-ups on a loaded 2-core machine.
		if gap > 200*time.Millisecond+5*time.Millisecond+60*time.Millisecond {
			t.Errorf("gap %d = %s exceeds start_interval + probe duration", i, gap)
		}
		if gap < minStartGap-time.Millisecond {
			t.Errorf("gap %d = %s below the %s floor (at most 10 exec probes a second)", i, gap, minStartGap)
		}
	}
}

// docs/spec/runtime.md §17 item 34: failures in start_period do not count; after readiness,
// retries consecutive counted failures make it unhealthy; a pass makes it healthy.
func TestUnhealthyOnlyAfterReady_34(t *testing.T) {
	b := newPlan("p")
	b.add("db").Health = health(10*time.Millisecond, time.Second, 3, 500*time.Millisecond)
	rt := fakert.New()
	failing := make(chan struct{})
	healing := make(chan struct{})
	rt.Set("db", fakert.Behavior{Probe: func(n int, since time.Duration) bool {
		select {
		case <-healing:
			return true
		case <-failing:
			return false
		default:
		}
		return since > 350*time.Millisecond // several failures inside start_period first
	}})
	s := startReady(t, b.p, rt, fast())
	if len(rt.CallsOf("exec")) < 4 || index(s.events(), ResourceUnhealthy, "db") >= 0 {
		t.Fatalf("start-period failures must not count: %s", describe(s.events()))
	}
	close(failing)
	s.await(ResourceUnhealthy, "db", 2*time.Second)
	if v, _ := s.h.Get("db"); v.Status != StatusUnhealthy {
		t.Fatalf("status %s", v.Status)
	}
	close(healing)
	s.awaitNth(ResourceHealthy, "db", 2, 2*time.Second)
	if v, _ := s.h.Get("db"); v.Status != StatusHealthy {
		t.Fatalf("status %s", v.Status)
	}
}

// §11.3: failures before the first readiness never produce unhealthy; only the
// deadline ends the wait.
func TestNoUnhealthyBeforeReady(t *testing.T) {
	b := newPlan("p")
	b.add("db").Health = health(5*time.Millisecond, time.Second, 2, 0)
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{ProbePassAfter: time.Hour})
	o := fast()
	o.WaitTimeout = 150 * time.Millisecond
	s := startStack(t, b.p, rt, o)
	if err := s.waitReady(5 * time.Second); err == nil {
		t.Fatal("want a deadline failure")
	}
	if index(s.events(), ResourceUnhealthy, "db") >= 0 {
		t.Fatal("unhealthy emitted before the resource was ever ready")
	}
}

// docs/spec/runtime.md §17 item 35: a probe exceeding its timeout counts as a failure.
func TestProbeTimeoutIsFailure_35(t *testing.T) {
	b := newPlan("p")
	b.add("db").Health = health(10*time.Millisecond, 20*time.Millisecond, 2, 0)
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{ProbeLatency: 50 * time.Millisecond})
	s := startStack(t, b.p, rt, fast())
	var se *StartupError
	if err := s.waitReady(5 * time.Second); !errors.As(err, &se) {
		t.Fatalf("WaitReady = %v", err)
	}
	want := "healthcheck did not pass within 60ms (last probe: timed out)"
	if se.Reason != want {
		t.Fatalf("reason %q, want %q", se.Reason, want)
	}
}

// docs/spec/runtime.md §17 item 36 (durations scaled down): the deadline is start_period +
// retries × (interval + timeout) from task start, or --wait-timeout.
func TestReadinessDeadline_36(t *testing.T) {
	cases := []struct {
		name string
		wait time.Duration
		want time.Duration
	}{
		{"default", 0, 50*time.Millisecond + 5*(80*time.Millisecond+10*time.Millisecond)},
		{"wait-timeout", 200 * time.Millisecond, 200 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newPlan("p")
			b.add("db").Health = health(80*time.Millisecond, 10*time.Millisecond, 5, 50*time.Millisecond)
			rt := fakert.New()
			rt.Set("db", fakert.Behavior{ProbePassAfter: time.Hour})
			o := fast()
			o.WaitTimeout = tc.wait
			s := startStack(t, b.p, rt, o)
			failed := s.await(ResourceFailed, "db", 5*time.Second)
			d := failed.TS.Sub(s.await(ResourceStarted, "db", time.Second).TS)
			if d < tc.want || d > tc.want+100*time.Millisecond { // spec: ±1 s at 45 s

				t.Fatalf("failed after %s, want %s", d, tc.want)
			}
			if !strings.HasPrefix(failed.Error, "healthcheck did not pass within "+tc.want.String()+" (last probe: exit code 1: not ready)") {
				t.Fatalf("error %q", failed.Error)
			}
		})
	}
}

// §11.2: the TCP port precheck precedes exec probes.
func TestPortPrecheckBeforeExec(t *testing.T) {
	b := newPlan("p")
	h := health(time.Second, time.Second, 3, time.Second)
	h.TCPPort = 5432
	b.add("db").Health = h
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{PortAfter: 80 * time.Millisecond})
	startReady(t, b.p, rt, fast())
	start, execs := rt.CallsOf("start")[0].At, rt.CallsOf("exec")
	if len(rt.CallsOf("wait-port")) != 1 || len(execs) != 1 || execs[0].At.Sub(start) < 80*time.Millisecond {
		t.Fatalf("exec probes must wait for the port: %+v", rt.Calls())
	}
}

// docs/spec/runtime.md §11.1, §17 (native probes): a healthcheck with a native probe is run
// from the host against the container's address, never by exec, with the same schedule,
// counting and health events.
func TestNativeProbeRunsNoExec(t *testing.T) {
	b := newPlan("p")
	h := health(50*time.Millisecond, time.Second, 2, 0)
	h.Native = &plan.NativeProbe{Protocol: plan.ProbeRedis, Port: 6379}
	b.add("cache").Health = h
	rt := fakert.New()
	healthyUntil := 300 * time.Millisecond
	rt.Set("cache", fakert.Behavior{Probe: func(n int, since time.Duration) bool {
		return n > 1 && since < healthyUntil
	}})
	s := startReady(t, b.p, rt, fast())
	s.await(ResourceUnhealthy, "cache", 5*time.Second)
	if n := len(rt.CallsOf("exec")); n != 0 {
		t.Fatalf("%d exec calls for a native healthcheck", n)
	}
	if n := len(rt.CallsOf("probe")); n < 4 {
		t.Fatalf("%d native probes, want the first failure, the pass and two counted failures", n)
	}
}

// docs/spec/runtime.md §11.2: after the first pass, a native probe runs at the next instant
// aligned on its interval, at least half an interval after the previous one ended.
func TestAlignedDelay(t *testing.T) {
	sec := time.Second
	at := func(ms int) time.Time { return time.Unix(1000, 0).Add(time.Duration(ms) * time.Millisecond) }
	for _, c := range []struct {
		now, ended int
		want       time.Duration
	}{
		{now: 1, ended: 1, want: 999 * time.Millisecond},      // a fast probe at a whole second: the next one
		{now: 300, ended: 300, want: 700 * time.Millisecond},  // off the grid: back on it
		{now: 600, ended: 600, want: 1400 * time.Millisecond}, // half an interval at least after the end
		{now: 10, ended: 0, want: 990 * time.Millisecond},
		{now: 5000, ended: 0, want: sec - 5000*time.Millisecond}, // clock jumped: interval from the end
	} {
		if got := alignedDelay(at(c.now), at(c.ended), sec); got != c.want {
			t.Errorf("now %dms, ended %dms: delay %s, want %s", c.now, c.ended, got, c.want)
		}
	}
}

// docs/spec/runtime.md §11.2: resources probed natively at the same interval probe in the
// same instants, whatever each probe lasts; exec probes keep interval from their end.
func TestNativeProbesAlignOnInterval(t *testing.T) {
	const interval = 200 * time.Millisecond
	b := newPlan("p")
	for _, n := range []string{"fast", "slow"} {
		h := health(interval, time.Second, 3, 0)
		h.Native = &plan.NativeProbe{Protocol: plan.ProbeTCP, Port: 80}
		b.add(n).Health = h
	}
	rt := fakert.New()
	rt.Set("slow", fakert.Behavior{ProbeLatency: 70 * time.Millisecond})
	s := startReady(t, b.p, rt, fast())
	ready := time.Now()
	awaitCalls(t, rt, "probe", len(rt.CallsOf("probe")), 10, 5*time.Second)
	s.stop(false, 5*time.Second)
	for _, n := range []string{"fast", "slow"} {
		for _, c := range probesAfter(rt, n, ready)[1:] { // the first may be the one after the first pass
			if off := c.At.Sub(c.At.Truncate(interval)); off > 60*time.Millisecond {
				t.Errorf("%s probed %s after a multiple of %s", n, off, interval)
			}
		}
	}
}

// probesAfter lists the native probes of resource that began after since.
func probesAfter(rt *fakert.Runtime, resource string, since time.Time) []fakert.Call {
	var out []fakert.Call
	for _, c := range rt.CallsOf("probe") {
		if c.Resource == resource && c.At.After(since) {
			out = append(out, c)
		}
	}
	return out
}
