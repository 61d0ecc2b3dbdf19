package actors

import (
	"context"
	"sync"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

// Images fetches each image once per stack (docs/spec/runtime.md §12.2 step 3): resources
// sharing a pulled image wait for one acquisition. Builds are never shared. The pulls
// may begin before the engine does (Prefetch), while up still runs its preflight
// steps; the Handle given them in Options.Images lets its resources join them.
type Images struct {
	ctx    context.Context // cancelled when the startup is abandoned
	cancel context.CancelFunc
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

// NewImages returns the acquisitions of one stack.
func NewImages() *Images {
	ctx, cancel := context.WithCancel(context.Background())
	return &Images{ctx: ctx, cancel: cancel, byRef: map[string]*flight{}}
}

// Prefetch begins acquiring every pulled image of p through rt. Builds wait for their
// resource: their arguments may need the generated passwords of the final plan, which
// p (built before them) may not hold.
func (f *Images) Prefetch(rt containerdrt.Runtime, p *plan.Plan) {
	for _, n := range p.Nodes {
		if n.Spec.Build == nil {
			f.start(rt, &n.Spec)
		}
	}
}

// Close abandons the acquisitions still running and waits for them to end.
func (f *Images) Close() {
	f.cancel()
	f.wait()
}

// start begins the acquisition of the spec's image through rt unless one exists, and
// returns it.
func (f *Images) start(rt containerdrt.Runtime, s *plan.ContainerSpec) *flight {
	key := s.Image
	if s.Build != nil {
		key = "build:" + s.ID
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fl := f.byRef[key]
	if fl == nil {
		fl = &flight{done: make(chan struct{})}
		f.byRef[key] = fl
		f.active.Add(1)
		go f.fetch(rt, fl, s)
	}
	return fl
}

// acquire waits for the spec's image, acquired through rt unless it already is; ctx
// ends only this waiter's interest.
func (f *Images) acquire(ctx context.Context, rt containerdrt.Runtime, s *plan.ContainerSpec, progress func(containerdrt.ProgressPhase)) error {
	fl := f.start(rt, s)
	fl.listen(progress)
	select {
	case <-fl.done:
		return fl.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fetch runs one acquisition with the stack context, not a waiter's.
func (f *Images) fetch(rt containerdrt.Runtime, fl *flight, s *plan.ContainerSpec) {
	defer f.active.Done()
	fl.err = rt.EnsureImage(f.ctx, s, func(u containerdrt.ProgressUpdate) { fl.report(u.Phase) })
	close(fl.done)
}

// wait returns once no acquisition is running.
func (f *Images) wait() { f.active.Wait() }

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
