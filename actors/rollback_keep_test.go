package actors

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/fakert"
)

// Issue 12 item 1: a failing up (a second up -d of a running stack whose new resource
// cannot start) rolls back only what it created: the containers it adopted keep
// running, and the network they use stays.
func TestRollbackKeepsAdoptedContainers(t *testing.T) {
	b := newPlan("shop")
	b.add("db")
	b.add("api", "db")
	// added waits for api: the fake makes an adopted container only when Prepare runs,
	// so a rollback that cancels api's Prepare would leave no container to keep. (The
	// real runtime reports such an untouched container as kept through its listing.)
	b.add("added", "db", "api")
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{Adopt: true})
	rt.Set("api", fakert.Behavior{Adopt: true})
	rt.Set("added", fakert.Behavior{StartErr: errors.New("image is not present and --pull=never")})
	s := startStack(t, b.p, rt, Options{})
	err := s.waitReady(5 * time.Second)
	var se *StartupError
	if !errors.As(err, &se) || se.Resource != "added" {
		t.Fatalf("startup: %v", err)
	}
	s.waitDone(5 * time.Second)
	slices.Sort(se.Kept)
	if !slices.Equal(se.Kept, []string{"api", "db"}) {
		t.Errorf("kept %v, want api and db", se.Kept)
	}
	for _, r := range []string{"db", "api"} {
		if !rt.Running(r) {
			t.Errorf("the rollback stopped the adopted %s", r)
		}
	}
	for _, c := range rt.CallsOf("stop") {
		if c.Resource != "added" {
			t.Errorf("the rollback stopped %s", c.Resource)
		}
	}
	if len(rt.CallsOf("teardown-network")) != 0 || !rt.NetworkUp("shop") {
		t.Error("the rollback removed the network the adopted containers use")
	}
}

// A rollback of a stack it started itself still removes everything (§12.3).
func TestRollbackRemovesWhatItStarted(t *testing.T) {
	b := newPlan("shop")
	b.add("db")
	b.add("api", "db")
	rt := fakert.New()
	rt.Set("api", fakert.Behavior{StartErr: errors.New("boom")})
	s := startStack(t, b.p, rt, Options{})
	var se *StartupError
	if err := s.waitReady(5 * time.Second); !errors.As(err, &se) || len(se.Kept) != 0 {
		t.Fatalf("startup: %v (kept %v)", err, se)
	}
	s.waitDone(5 * time.Second)
	if rt.Running("db") || rt.NetworkUp("shop") {
		t.Error("a rollback of what this up started left something")
	}
}
