package actors

import (
	"context"
	"sync"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

// imageFlights fetches each image once per stack (docs/spec/runtime.md §12.2 step 3): resources
// sharing a pulled image wait for one acquisition. Builds are never shared.
type imageFlights struct {
	rt     containerdrt.Runtime
	ctx    context.Context // cancelled when the startup is abandoned
	mu     sync.Mutex
	byRef  map[string]*flight
	active sync.WaitGroup
}

// flight is one acquisition in progress or done.
type flight struct {
	done      chan struct{}
	err       error
	mu        sync.Mutex
	phase     containerdrt.ProgressPhase
	listeners []func(containerdrt.ProgressPhase)
}

func newImageFlights(ctx context.Context, rt containerdrt.Runtime) *imageFlights {
	return &imageFlights{rt: rt, ctx: ctx, byRef: map[string]*flight{}}
}

// acquire waits for the spec's image; ctx ends only this waiter's interest.
func (f *imageFlights) acquire(ctx context.Context, s *plan.ContainerSpec, progress func(containerdrt.ProgressPhase)) error {
	key := s.Image
	if s.Build != nil {
		key = "build:" + s.ID
	}
	f.mu.Lock()
	fl := f.byRef[key]
	if fl == nil {
		fl = &flight{done: make(chan struct{})}
		f.byRef[key] = fl
		f.active.Add(1)
		go f.fetch(fl, s)
	}
	f.mu.Unlock()
	fl.listen(progress)
	select {
	case <-fl.done:
		return fl.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fetch runs one acquisition with the stack context, not a waiter's.
func (f *imageFlights) fetch(fl *flight, s *plan.ContainerSpec) {
	defer f.active.Done()
	fl.err = f.rt.EnsureImage(f.ctx, s, func(u containerdrt.ProgressUpdate) { fl.report(u.Phase) })
	close(fl.done)
}

// wait returns once no acquisition is running.
func (f *imageFlights) wait() { f.active.Wait() }

// listen registers a progress listener and replays the current phase to it.
func (fl *flight) listen(l func(containerdrt.ProgressPhase)) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	fl.listeners = append(fl.listeners, l)
	if fl.phase != "" {
		l(fl.phase)
	}
}

// report forwards acquisition phases that have an event (§13.1) to every listener.
func (fl *flight) report(phase containerdrt.ProgressPhase) {
	if phase != containerdrt.PhasePulling && phase != containerdrt.PhaseBuilding {
		return
	}
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.phase == phase {
		return
	}
	fl.phase = phase
	for _, l := range fl.listeners {
		l(phase)
	}
}
