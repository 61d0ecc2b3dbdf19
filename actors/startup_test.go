package actors

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/fakert"
)

// docs/spec/runtime.md §17 item 9, and a running-but-not-yet-healthy dependency: api starts only
// after db's probe passed, not merely after db is running.
func TestDependentStartsAfterDependencyHealthy_9(t *testing.T) {
	b := newPlan("shop")
	b.add("db").Health = health(time.Second, time.Second, 3, 5*time.Second)
	b.add("api", "db")
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{ProbePassAfter: 100 * time.Millisecond})
	s := startReady(t, b.p, rt, fast())
	evs := s.events()
	healthy, starting := index(evs, ResourceHealthy, "db"), index(evs, ResourceStarting, "api")
	if index(evs, ResourceStarted, "db") > healthy || healthy > starting || starting < 0 {
		t.Fatalf("api must start after db is healthy: %s", describe(evs))
	}
	if d := evs[healthy].TS.Sub(evs[index(evs, ResourceStarted, "db")].TS); d < 100*time.Millisecond {
		t.Fatalf("db healthy %s after start, before its probe could pass", d)
	}
	starts := rt.CallsOf("start")
	if len(starts) != 2 || starts[1].Resource != "api" || starts[1].At.Before(evs[healthy].TS) {
		t.Fatalf("api task started before db was healthy: %+v", starts)
	}
	// Preparation does not wait for dependencies (§12.2 step 4).
	for _, c := range rt.CallsOf("prepare") {
		if c.Resource == "api" && c.At.After(evs[healthy].TS) {
			t.Fatalf("api was prepared only after db was healthy")
		}
	}
	s.stop(false, 5*time.Second)
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
}

// docs/spec/runtime.md §17 item 38: c (depends on fast b) starts before slow a is healthy.
func TestIndependentBranchesDoNotWait_38(t *testing.T) {
	b := newPlan("p")
	b.add("a").Health = health(time.Second, time.Second, 3, 5*time.Second)
	b.add("b")
	b.add("c", "b")
	rt := fakert.New()
	rt.Set("a", fakert.Behavior{ProbePassAfter: 500 * time.Millisecond})
	s := startStack(t, b.p, rt, fast())
	s.await(ResourceStarting, "c", 2*time.Second)
	if err := s.waitReady(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	s.await(StackStarted, "", time.Second)
	evs := s.events()
	if index(evs, ResourceStarting, "c") > index(evs, ResourceHealthy, "a") {
		t.Fatalf("c waited for unrelated a: %s", describe(evs))
	}
	if index(evs, StackStarted, "") < index(evs, ResourceHealthy, "a") {
		t.Fatalf("stack_started before every resource was healthy")
	}
}

// Property of §12.2 step 5 at scale: in a diamond, the join waits for all branches.
func TestJoinWaitsForEveryDependency(t *testing.T) {
	b := newPlan("p")
	b.add("root")
	for _, n := range []string{"x", "y", "z"} {
		b.add(n, "root").Health = health(time.Second, time.Second, 3, time.Second)
	}
	b.add("join", "x", "y", "z")
	rt := fakert.New()
	rt.Set("x", fakert.Behavior{ProbePassAfter: 30 * time.Millisecond})
	rt.Set("y", fakert.Behavior{ProbePassAfter: 120 * time.Millisecond})
	rt.Set("z", fakert.Behavior{ProbePassAfter: 60 * time.Millisecond})
	s := startReady(t, b.p, rt, fast())
	evs := s.events()
	for _, d := range []string{"x", "y", "z"} {
		if index(evs, ResourceHealthy, d) > index(evs, ResourceStarting, "join") {
			t.Errorf("join started before %s was healthy", d)
		}
	}
}

// docs/spec/runtime.md §17 items 39 and 40: api fails to start ⇒ web (depends on api) is never
// started and fails naming api; everything is stopped and removed in reverse
// dependency order, the network removed; the error names api with its last log lines.
func TestStartupFailureRollsBack_39_40(t *testing.T) {
	b := newPlan("shop")
	b.add("db")
	b.add("api", "db")
	b.add("web", "api")
	b.add("other")
	rt := fakert.New()
	rt.Set("api", fakert.Behavior{StartErr: errors.New("boom secret-value")})
	o := fast()
	o.Redact = func(s string) string { return strings.ReplaceAll(s, "secret-value", "<redacted>") }
	var asked string
	o.LastLogLines = func(r string, _ time.Time, n int) []string { asked = r; return []string{"line 1", "line 2"} }
	s := startStack(t, b.p, rt, o)
	err := s.waitReady(5 * time.Second)
	var se *StartupError
	if !errors.As(err, &se) || se.Resource != "api" || !strings.Contains(se.Reason, "boom <redacted>") {
		t.Fatalf("WaitReady = %v, want a StartupError for api", err)
	}
	if asked != "api" || len(se.LastLines) != 2 || !strings.Contains(se.Error(), `startup failed: resource "api"`) {
		t.Fatalf("report = %+v (asked %q)", se, asked)
	}
	s.waitDone(5 * time.Second)
	evs := s.events()
	if e := evs[index(evs, ResourceFailed, "api")]; strings.Contains(e.Error, "secret-value") {
		t.Fatalf("error not redacted: %q", e.Error)
	}
	web, _ := s.h.Get("web")
	if web.Status != StatusFailed || web.LastError == nil || *web.LastError != `not started: dependency "api" failed` {
		t.Fatalf("web view = %+v", web)
	}
	if index(evs, ResourceFailed, "web") < 0 || index(evs, ResourceStarting, "web") >= 0 {
		t.Fatalf("web: want resource_failed and no start: %s", describe(evs))
	}
	for _, c := range rt.CallsOf("start") {
		if c.Resource == "web" {
			t.Fatal("web's task was started")
		}
	}
	assertReverseStopOrder(t, evs, b)
	if evs[len(evs)-1].Type != StackStopped || index(evs, StackStopping, "") < 0 {
		t.Fatalf("rollback must end with stack_stopped: %s", describe(evs))
	}
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
	checkFailuresHaveEvents(t, s)
}

// assertReverseStopOrder checks §13.2: a dependency's resource_stopping follows the
// resource_stopped of each of its dependents.
func assertReverseStopOrder(t testing.TB, evs []Event, b *planBuilder) {
	t.Helper()
	for _, n := range b.p.Nodes {
		for _, d := range n.DependsOn {
			dstop, nstopped := index(evs, ResourceStopping, d), index(evs, ResourceStopped, n.Name)
			if dstop >= 0 && index(evs, ResourceStopping, n.Name) >= 0 && nstopped > dstop {
				t.Fatalf("%s stopping before its dependent %s stopped: %s", d, n.Name, describe(evs))
			}
		}
	}
}

// A dependency that fails after running but before healthy fails its dependents
// promptly (no waiting for any deadline).
func TestDependencyFailingBeforeHealthyFailsDependentsPromptly(t *testing.T) {
	b := newPlan("p")
	b.add("db").Health = health(time.Second, time.Second, 30, 30*time.Second)
	b.add("api", "db")
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{ProbePassAfter: time.Hour, ExitAfter: 50 * time.Millisecond, ExitCode: 1})
	s := startStack(t, b.p, rt, fast())
	// Its start period is 30 s: only a prompt failure ends the wait in time.
	err := s.waitReady(10 * time.Second)
	var se *StartupError
	if !errors.As(err, &se) || se.Resource != "db" || se.Reason != "exited with code 1 before becoming ready" {
		t.Fatalf("WaitReady = %v", err)
	}
	api, _ := s.h.Get("api")
	if api.Status != StatusFailed || *api.LastError != `not started: dependency "db" failed` {
		t.Fatalf("api = %+v", api)
	}
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
	checkFailuresHaveEvents(t, s)
}

// docs/spec/runtime.md §17 item 37: exit with code 3 before ready fails at once.
func TestExitBeforeReadyFailsImmediately_37(t *testing.T) {
	b := newPlan("p")
	b.add("job").Health = health(time.Second, time.Second, 30, time.Minute)
	rt := fakert.New()
	rt.Set("job", fakert.Behavior{ProbePassAfter: time.Hour, ExitAfter: 30 * time.Millisecond, ExitCode: 3})
	s := startStack(t, b.p, rt, fast())
	e := s.await(ResourceFailed, "job", 2*time.Second)
	if e.Error != "exited with code 3 before becoming ready" {
		t.Fatalf("error = %q", e.Error)
	}
	started := s.await(ResourceStarted, "job", time.Second)
	if d := e.TS.Sub(started.TS); d > 500*time.Millisecond {
		t.Fatalf("failure %s after start: waited for a deadline", d)
	}
	v, _ := s.h.Get("job")
	if v.ExitCode == nil || *v.ExitCode != 3 {
		t.Fatalf("exit_code = %v", v.ExitCode)
	}
}

// Every kind of startup failure emits resource_failed and fails WaitReady (§13.2).
func TestEveryFailureEmitsEvent(t *testing.T) {
	cases := []struct {
		name string
		b    fakert.Behavior
		want string
	}{
		{"image", fakert.Behavior{ImageErr: errors.New("failed to pull image x:latest: no such image")}, "failed to pull image x:latest: no such image"},
		{"prepare", fakert.Behavior{PrepareErr: errors.New("port in use")}, "creating container: port in use"},
		{"start", fakert.Behavior{StartErr: errors.New("exec format error")}, "starting task: exec format error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newPlan("p")
			b.add("x")
			b.add("y", "x")
			rt := fakert.New()
			rt.Set("x", tc.b)
			s := startStack(t, b.p, rt, fast())
			var se *StartupError
			if err := s.waitReady(5 * time.Second); !errors.As(err, &se) || se.Reason != tc.want {
				t.Fatalf("WaitReady = %v, want reason %q", err, tc.want)
			}
			if e := s.await(ResourceFailed, "x", time.Second); e.Error != tc.want {
				t.Fatalf("event error = %q", e.Error)
			}
			s.await(ResourceFailed, "y", time.Second)
			checkFailuresHaveEvents(t, s)
			if err := rt.Clean(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Orphans (§4.4) are removed before the network is ensured.
func TestOrphansRemovedFirst(t *testing.T) {
	b := newPlan("shop")
	b.add("db")
	rt := fakert.New()
	rt.AddManaged(managed("shop_old", "shop", "old"))
	rt.AddManaged(managed("other_x", "other", "x"))
	s := startReady(t, b.p, rt, fast())
	s.await(ResourceStopped, "old", time.Second)
	var removed, network time.Time
	for _, c := range rt.Calls() {
		if c.Op == "remove" && c.ID == "shop_old" {
			removed = c.At
		}
		if c.Op == "remove" && c.ID == "other_x" {
			t.Fatal("removed another project's container")
		}
		if c.Op == "ensure-network" {
			network = c.At
		}
	}
	if removed.IsZero() || network.Before(removed) {
		t.Fatalf("orphan removed at %v, network at %v", removed, network)
	}
	s.stop(false, 5*time.Second)
}

// Shutdown during startup cancels in-flight work (a pull, a Prepare) and rolls back
// (§12.8, docs/spec/runtime.md §17 item 41 on the fake runtime).
func TestShutdownDuringPullCancels(t *testing.T) {
	b := newPlan("p")
	b.add("db")
	b.add("api", "db")
	b.add("slowprep")
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{Pull: time.Hour})
	rt.Set("slowprep", fakert.Behavior{Prepare: time.Hour})
	s := startStack(t, b.p, rt, fast())
	s.await(ResourcePulling, "db", 2*time.Second)
	for len(rt.CallsOf("prepare")) == 0 { // wait until slowprep is inside Prepare
		time.Sleep(time.Millisecond)
	}
	s.h.Shutdown(false)
	if err := s.waitReady(5 * time.Second); !errors.Is(err, ErrStartupCancelled) {
		t.Fatalf("WaitReady = %v", err)
	}
	s.waitDone(5 * time.Second)
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
	if index(s.events(), ResourceFailed, "db") >= 0 {
		t.Fatal("a cancelled pull is not a failure")
	}
}

// §12.3: a network failure fails the startup; nothing is prepared and nothing remains.
func TestNetworkFailure(t *testing.T) {
	b := newPlan("p")
	b.add("db")
	rt := fakert.New()
	rt.SetNetworkErr(errors.New("bridge busy"))
	s := startStack(t, b.p, rt, fast())
	var se *StartupError
	if err := s.waitReady(5 * time.Second); !errors.As(err, &se) || se.Resource != "" || se.Reason != "network: bridge busy" {
		t.Fatalf("WaitReady = %v", err)
	}
	s.waitDone(5 * time.Second)
	if len(rt.CallsOf("prepare")) != 0 {
		t.Fatal("prepared before the network existed")
	}
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
}

// Degenerate plans neither hang nor panic: no resources, or a dependency the plan
// does not contain.
func TestDegeneratePlans(t *testing.T) {
	empty := newPlan("p")
	s := startReady(t, empty.p, fakert.New(), fast())
	s.stop(false, 5*time.Second)

	b := newPlan("q")
	b.add("api", "ghost")
	b.p.Order = nil // let the engine compute the order
	rt := fakert.New()
	s = startStack(t, b.p, rt, fast())
	if err := s.waitReady(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	s.stop(false, 5*time.Second)
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
}

// §12.2 step 3: identical images are fetched once; each resource still reports pulling.
func TestIdenticalImagesFetchedOnce(t *testing.T) {
	b := newPlan("p")
	b.add("a")
	b.add("b")
	b.p.Nodes[1].Spec.Image = b.p.Nodes[0].Spec.Image
	rt := fakert.New()
	rt.Set("a", fakert.Behavior{Pull: 30 * time.Millisecond})
	rt.Set("b", fakert.Behavior{Pull: 30 * time.Millisecond})
	s := startReady(t, b.p, rt, fast())
	if n := len(rt.CallsOf("ensure-image")); n != 1 {
		t.Fatalf("%d acquisitions of one image", n)
	}
	s.await(ResourcePulling, "a", time.Second)
	s.await(ResourcePulling, "b", time.Second)
}

// §4.4: an adopted running container emits resource_starting and resource_started
// like a fresh start and is probed at once.
func TestAdoptedContainer(t *testing.T) {
	b := newPlan("p")
	b.add("db").Health = health(time.Second, time.Second, 3, time.Second)
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{Adopt: true})
	s := startReady(t, b.p, rt, fast())
	evs := s.events()
	if index(evs, ResourceStarting, "db") < 0 || index(evs, ResourceStarted, "db") < 0 || len(rt.CallsOf("exec")) == 0 {
		t.Fatalf("adoption: %s", describe(evs))
	}
}
