package actors

import (
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/fakert"
)

// Issue 11: a background supervisor that hands the stack over lets go of it: Detach
// waits for the probe in flight (so no exec is left half-done in the shim), stops and
// removes nothing, and no probe starts afterwards.
func TestDetachLeavesTheStackRunning(t *testing.T) {
	b := newPlan("shop")
	b.add("db").Health = health(20*time.Millisecond, time.Second, 3, 0)
	b.add("api", "db")
	rt := fakert.New()
	s := startReady(t, b.p, rt, Options{})
	rt.Set("db", fakert.Behavior{ProbeLatency: 200 * time.Millisecond})
	probesBefore := len(rt.CallsOf("exec"))
	// Wait until a slow probe is in flight.
	deadline := time.Now().Add(2 * time.Second)
	for len(rt.CallsOf("exec")) == probesBefore && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	s.h.Detach(5 * time.Second)
	took := time.Since(start)
	if took > 3*time.Second {
		t.Errorf("Detach took %s", took)
	}
	afterDetach := len(rt.CallsOf("exec"))
	time.Sleep(100 * time.Millisecond) // five probe intervals: none may start
	if n := len(rt.CallsOf("exec")); n != afterDetach {
		t.Errorf("%d probes ran after Detach", n-afterDetach)
	}
	if len(rt.CallsOf("stop")) != 0 || len(rt.CallsOf("remove")) != 0 || !rt.Running("db") || !rt.Running("api") {
		t.Errorf("Detach stopped something: stops %v removes %v", rt.CallsOf("stop"), rt.CallsOf("remove"))
	}
	if err := s.h.Restart("db"); err == nil {
		t.Error("a detached engine accepted a restart")
	}
}
