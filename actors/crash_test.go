package actors

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/lightshuttle/lsctl/containerdrt/fakert"
	"github.com/lightshuttle/lsctl/plan"
)

// logBuffer collects the engine's log lines; actors write from their own goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// crashOptions are fast options whose log goes to the returned buffer and whose
// actors panic where hook says.
func crashOptions(hook func(actor string, msg any)) (Options, *logBuffer) {
	o, log := fast(), &logBuffer{}
	o.Logger = slog.New(slog.NewTextHandler(log, nil))
	o.receiveHook = hook
	return o, log
}

// panicOnce panics the first time the named actor ("" = the supervisor) receives a
// message of type T.
func panicOnce[T any](name string) func(string, any) {
	var done atomic.Bool
	return func(actor string, msg any) {
		if _, ok := msg.(T); ok && actor == name && done.CompareAndSwap(false, true) {
			panic("injected panic")
		}
	}
}

// checkCrashLogged asserts the panic is in the log with its stack trace.
func checkCrashLogged(t *testing.T, log *logBuffer, what string) {
	t.Helper()
	out := log.String()
	if !strings.Contains(out, what) || !strings.Contains(out, "panic=\"injected panic\"") ||
		!strings.Contains(out, "goroutine ") || !strings.Contains(out, "crash_test.go") {
		t.Errorf("log lacks %q with the panic and its stack trace:\n%s", what, out)
	}
}

// checkCrashed asserts the resource is failed with "internal error" and said so.
func checkCrashed(t *testing.T, s *stack, name string) {
	t.Helper()
	if e := s.await(ResourceFailed, name, 5*time.Second); e.Error != internalError {
		t.Errorf("resource_failed of %s says %q", name, e.Error)
	}
	v, _ := s.h.Get(name)
	if v.Status != StatusFailed || v.LastError == nil || *v.LastError != internalError {
		t.Errorf("%s after its actor crashed: status %s, last_error %v", name, v.Status, v.LastError)
	}
}

// Issue 11 item 4: a panic during the startup fails that resource ("internal error"),
// its dependents do not start, and the startup is rolled back.
func TestCrashDuringStartupRollsBack(t *testing.T) {
	b := newPlan("p")
	b.add("db")
	b.add("api", "db")
	b.add("web", "api")
	rt := fakert.New()
	o, log := crashOptions(panicOnce[netReady]("api"))
	s := startStack(t, b.p, rt, o)
	err := s.waitReady(5 * time.Second)
	var se *StartupError
	if !errors.As(err, &se) || se.Resource != "api" || se.Reason != internalError {
		t.Fatalf("WaitReady = %v, want the startup failure of api", err)
	}
	s.waitDone(5 * time.Second)
	checkCrashed(t, s, "api")
	checkCrashLogged(t, log, "resource actor panicked")
	evs := s.events()
	if e := s.await(ResourceFailed, "web", time.Second); !strings.Contains(e.Error, `dependency "api" failed`) {
		t.Errorf("web: %q", e.Error)
	}
	if index(evs, ResourceStarting, "web") >= 0 || index(evs, StackStarted, "") >= 0 {
		t.Errorf("started despite the crash: %s", describe(evs))
	}
	if err := rt.Clean(); err != nil {
		t.Error(err)
	}
}

// Issue 11 item 4, issue 17 item 5: a panic while running fails that resource and
// removes its container (as a failed restart attempt would); the stack stays up, the
// other resources keep reacting, and the shutdown completes.
func TestCrashWhileRunningFailsOnlyThatResource(t *testing.T) {
	b := newPlan("p")
	b.add("db")
	b.add("api", "db").Restart = plan.RestartAlways
	rt := fakert.New()
	o, log := crashOptions(panicOnce[exited]("db"))
	s := startReady(t, b.p, rt, o)
	if err := rt.Exit("db", 3); err != nil { // delivered to db's actor, which panics
		t.Fatal(err)
	}
	checkCrashed(t, s, "db")
	checkCrashLogged(t, log, "resource actor panicked")
	waitFor(t, func() bool { return rt.ContainerSerial("db") == 0 }, "db's container removed")
	if err := s.h.Restart("db"); !errors.Is(err, ErrResourceCrashed) {
		t.Errorf("Restart of the crashed db = %v", err)
	}
	// api still reacts: its exit is supervised as usual.
	if err := rt.Exit("api", 1); err != nil {
		t.Fatal(err)
	}
	s.await(ResourceExited, "api", 5*time.Second)
	s.awaitNth(ResourceStarted, "api", 2, 5*time.Second) // the policy restarted it
	if v, _ := s.h.Get("db"); v.Status != StatusFailed || v.ContainerID != nil {
		t.Errorf("db: %+v", v)
	}
	s.stop(false, 5*time.Second)
	if err := s.h.Err(); err != nil {
		t.Error(err)
	}
	if err := rt.Clean(); err != nil {
		t.Error(err)
	}
}

// Issue 11 item 4: a resource actor that panics while stopping still has its
// container removed, and the ordered shutdown completes.
func TestCrashDuringShutdownStillRemoves(t *testing.T) {
	for _, tc := range []struct {
		name string
		hook func(string, any)
	}{
		{"on the stop message", panicOnce[stopMsg]("api")},
		{"after its own removal", panicOnce[stopDone]("api")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newPlan("p")
			b.add("db")
			b.add("api", "db")
			rt := fakert.New()
			o, _ := crashOptions(tc.hook)
			s := startReady(t, b.p, rt, o)
			s.stop(false, 5*time.Second)
			checkCrashed(t, s, "api")
			if err := rt.Clean(); err != nil {
				t.Error(err)
			}
			var apiRemoved, dbStopped time.Time
			for _, c := range rt.Calls() {
				if c.Op == "remove" && c.Resource == "api" && apiRemoved.IsZero() {
					apiRemoved = c.At
				}
				if c.Op == "stop" && c.Resource == "db" {
					dbStopped = c.At
				}
			}
			if apiRemoved.IsZero() || dbStopped.Before(apiRemoved) {
				t.Errorf("db stopped before its dependent api was removed: %+v", rt.Calls())
			}
			if v, _ := s.h.Get("db"); v.Status != StatusStopped {
				t.Errorf("db: %s", v.Status)
			}
		})
	}
}

// Issue 11 item 4: a panic in the stack supervisor stops every resource at once and
// ends with an error, during the startup and while running.
func TestSupervisorPanicStopsEverything(t *testing.T) {
	for _, tc := range []struct {
		name    string
		hook    func(string, any)
		running bool
	}{
		{"during the startup", panicOnce[resReady](""), false},
		{"on shutdown", panicOnce[shutdownMsg](""), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newPlan("p")
			b.add("db")
			b.add("api", "db")
			rt := fakert.New()
			rt.Set("api", fakert.Behavior{Prepare: 20 * time.Millisecond})
			o, log := crashOptions(tc.hook)
			s := startStack(t, b.p, rt, o)
			err := s.waitReady(5 * time.Second)
			if tc.running {
				if err != nil {
					t.Fatal(err)
				}
				s.h.Shutdown(false)
			} else if se := (*StartupError)(nil); !errors.As(err, &se) || se.Reason != internalError {
				t.Fatalf("WaitReady = %v, want a startup failure with an internal error", err)
			}
			s.waitDone(5 * time.Second)
			checkCrashLogged(t, log, "stack supervisor panicked")
			if err := s.h.Err(); err == nil || !strings.Contains(err.Error(), "internal error in the stack supervisor") {
				t.Errorf("Err = %v", err)
			}
			if err := rt.Clean(); err != nil {
				t.Error(err)
			}
			s.await(StackStopped, "", time.Second)
		})
	}
}

// Issue 11 item 4: when the supervisor's emergency stop panics too, the guardian ends
// the Handle with an error telling to run down: Done closes, nothing hangs.
func TestSupervisorDoublePanicEndsHandle(t *testing.T) {
	b := newPlan("p")
	b.add("db")
	b.add("api")
	rt := fakert.New()
	first := panicOnce[resReady]("")
	o, _ := crashOptions(func(name string, msg any) {
		first(name, msg)
		if _, ok := msg.(resStopped); ok && name == "" {
			panic("injected panic")
		}
	})
	s := startStack(t, b.p, rt, o)
	if err := s.waitReady(5 * time.Second); err == nil {
		t.Fatal("the startup succeeded despite the supervisor's panic")
	}
	s.waitDone(5 * time.Second)
	if err := s.h.Err(); err == nil || !strings.Contains(err.Error(), "run lsctl down") {
		t.Errorf("Err = %v", err)
	}
	for _, n := range []string{"db", "api"} { // what lsctl down would do
		id := "p_" + n
		_, _ = rt.Stop(t.Context(), id, "", 0)
		_ = rt.Remove(t.Context(), id)
	}
	_ = rt.TeardownNetwork(t.Context(), "p")
}

// Issue 11 item 4: with containerd not answering, every teardown step ends at its
// deadline (grace + margin) with an error naming what was left; the shutdown still
// completes, and the network (lsctl's own) is removed.
func TestTeardownDeadlineWhenContainerdHangs(t *testing.T) {
	b := newPlan("p")
	b.add("db")
	b.add("api", "db")
	rt := fakert.New()
	o := fast()
	o.Grace, o.teardownMargin = 50*time.Millisecond, 100*time.Millisecond
	s := startReady(t, b.p, rt, o)
	rt.Freeze()
	defer rt.Thaw()
	start := time.Now()
	s.h.Shutdown(false)
	s.h.Shutdown(true) // the kill is bounded as well
	s.waitDone(5 * time.Second)
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("shutdown took %s: the two levels must each wait out their deadline (150ms)", d)
	}
	err := s.h.Err()
	for _, want := range []string{`could not remove container p_api of resource "api": deadline exceeded: containerd did not answer in 150ms`,
		`could not remove container p_db of resource "db": deadline exceeded`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Err = %v, want it to say %q", err, want)
		}
	}
	if e := s.await(ResourceFailed, "api", time.Second); !strings.Contains(e.Error, "did not answer") {
		t.Errorf("api's resource_failed: %q", e.Error)
	}
	if index(s.events(), ResourceStopped, "api") >= 0 {
		t.Errorf("api reported stopped although its container may remain")
	}
	if rt.NetworkUp("p") {
		t.Error("the network was not removed")
	}
	rt.Thaw()
	if rt.Clean() == nil {
		t.Fatal("the frozen runtime removed the containers")
	}
	for _, n := range []string{"api", "db"} { // the next down
		if err := rt.Remove(t.Context(), "p_"+n); err != nil {
			t.Fatal(err)
		}
	}
	if err := rt.Clean(); err != nil {
		t.Error(err)
	}
}

// A failed stop whose removal succeeded leaves nothing: the resource is stopped and
// the error reported; only a container that may remain makes it failed.
func TestStopErrorWithRemovalIsStopped(t *testing.T) {
	b := newPlan("p")
	b.add("db")
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{StopErr: errors.New("still running 10s after SIGKILL")})
	s := startReady(t, b.p, rt, fast())
	s.stop(false, 5*time.Second)
	if err := s.h.Err(); err == nil || !strings.Contains(err.Error(), "stopping db: still running") {
		t.Errorf("Err = %v", err)
	}
	if index(s.events(), ResourceStopped, "db") < 0 || index(s.events(), ResourceFailed, "db") >= 0 {
		t.Errorf("db: %s", describe(s.events()))
	}
	if err := rt.Clean(); err != nil {
		t.Error(err)
	}
}

// waitFor polls cond (the fake runtime's state has no notification) for up to 5 s.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var _ actor.SupervisorStrategy = (*supervisor)(nil)
