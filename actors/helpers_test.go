package actors

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/containerdrt/fakert"
	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// planBuilder builds test plans directly from plan types.
type planBuilder struct{ p *plan.Plan }

func newPlan(project string) *planBuilder {
	return &planBuilder{p: &plan.Plan{Project: project, Network: plan.NetworkSpec{Project: project}}}
}

// add declares a container resource depending on deps; nodes must be added after
// their dependencies (the order is also the topological order).
func (b *planBuilder) add(name string, deps ...string) *plan.Node {
	n := &plan.Node{
		Name: name, Kind: manifest.KindContainer, Index: len(b.p.Nodes), DependsOn: deps,
		Restart: plan.RestartNo, Outputs: map[string]string{"host": name},
		Spec: plan.ContainerSpec{ID: b.p.Project + "_" + name, Project: b.p.Project, Resource: name,
			Kind: manifest.KindContainer, Image: "docker.io/library/" + name + ":latest"},
	}
	b.p.Nodes = append(b.p.Nodes, n)
	b.p.Order = append(b.p.Order, name)
	return n
}

// health returns a healthcheck with the given timings.
func health(interval, timeout time.Duration, retries int, startPeriod time.Duration) *plan.Healthcheck {
	return &plan.Healthcheck{Test: []string{"CMD", "true"}, Argv: []string{"true"},
		Interval: interval, Timeout: timeout, Retries: retries, StartPeriod: startPeriod}
}

// stack is a running engine on a fake runtime with every event recorded.
type stack struct {
	t  testing.TB
	h  *Handle
	rt *fakert.Runtime

	mu      sync.Mutex
	evs     []Event
	changed chan struct{}
	closed  chan struct{}
}

func startStack(t testing.TB, p *plan.Plan, rt *fakert.Runtime, o Options) *stack {
	t.Helper()
	s := &stack{t: t, h: New(p, rt, o), rt: rt, changed: make(chan struct{}), closed: make(chan struct{})}
	ch, _ := s.h.Subscribe(false)
	go s.collect(ch)
	s.h.Run()
	t.Cleanup(func() {
		s.h.Shutdown(true)
		select {
		case <-s.h.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("stack did not stop within 10s")
			return
		}
		<-s.closed
	})
	return s
}

// startReady is startStack, then waits until the stack is ready.
func startReady(t testing.TB, p *plan.Plan, rt *fakert.Runtime, o Options) *stack {
	t.Helper()
	s := startStack(t, p, rt, o)
	if err := s.waitReady(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *stack) collect(ch <-chan Event) {
	defer close(s.closed)
	for e := range ch {
		s.mu.Lock()
		s.evs = append(s.evs, e)
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
	}
}

func (s *stack) events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.evs...)
}

// await returns the first event (in publication order) matching typ and resource,
// failing the test if none arrives within d.
func (s *stack) await(typ EventType, resource string, d time.Duration) Event {
	s.t.Helper()
	deadline := time.After(d)
	for {
		s.mu.Lock()
		for _, e := range s.evs {
			if e.Type == typ && e.Resource == resource {
				s.mu.Unlock()
				return e
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			s.t.Fatalf("no %s event for %q within %s; events: %s", typ, resource, d, describe(s.events()))
		}
	}
}

// awaitNth returns the n-th (from 1) event matching typ and resource.
func (s *stack) awaitNth(typ EventType, resource string, n int, d time.Duration) Event {
	s.t.Helper()
	deadline := time.After(d)
	for {
		s.mu.Lock()
		k := 0
		for _, e := range s.evs {
			if e.Type == typ && e.Resource == resource {
				if k++; k == n {
					s.mu.Unlock()
					return e
				}
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			s.t.Fatalf("no %d-th %s event for %q within %s; events: %s", n, typ, resource, d, describe(s.events()))
		}
	}
}

func (s *stack) waitReady(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	err := s.h.WaitReady(ctx)
	if err == nil { // let the recorder catch up with the bus
		s.await(StackStarted, "", d)
	}
	return err
}

// stop shuts the stack down and waits for Done.
func (s *stack) stop(kill bool, d time.Duration) {
	s.t.Helper()
	s.h.Shutdown(kill)
	s.waitDone(d)
}

func (s *stack) waitDone(d time.Duration) {
	s.t.Helper()
	select {
	case <-s.h.Done():
	case <-time.After(d):
		s.t.Fatalf("stack not stopped within %s; events: %s", d, describe(s.events()))
	}
	<-s.closed
}

// index returns the position of the first event matching typ and resource, or -1.
func index(evs []Event, typ EventType, resource string) int {
	for i, e := range evs {
		if e.Type == typ && e.Resource == resource {
			return i
		}
	}
	return -1
}

func count(evs []Event, typ EventType, resource string) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ && e.Resource == resource {
			n++
		}
	}
	return n
}

func describe(evs []Event) string {
	s := ""
	for _, e := range evs {
		s += fmt.Sprintf("\n  %s %s %s", e.Type, e.Resource, e.Error)
	}
	return s
}

// checkFailuresHaveEvents asserts docs/spec/runtime.md §13.2: every status change to failed is
// accompanied by resource_failed.
func checkFailuresHaveEvents(t testing.TB, s *stack) {
	t.Helper()
	for _, v := range s.h.List() {
		if v.Status == StatusFailed {
			// The view changes before the bus delivers the event to the recorder.
			s.await(ResourceFailed, v.Name, 5*time.Second)
		}
	}
}

// fast are short durations for tests.
func fast() Options {
	return Options{Grace: time.Second, Backoff: func(int) time.Duration { return 5 * time.Millisecond }, ResetAfter: time.Minute}
}

func managed(id, project, resource string) containerdrt.Managed {
	return containerdrt.Managed{ID: id, Project: project, Resource: resource, Running: true}
}
