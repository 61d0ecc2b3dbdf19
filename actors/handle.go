// Package actors is lsctl's lifecycle engine on protoactor-go: one actor per resource
// owning its state machine (docs/spec/runtime.md §12), a stack supervisor that starts resources as
// soon as their dependencies are ready and stops them in reverse dependency order, an
// event bus (§13) and the Handle the CLI and the control API use.
package actors

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

// Handle controls one running stack.
type Handle struct {
	plan   *plan.Plan
	system *actor.ActorSystem
	env    *env
	sup    *actor.PID
	phase  atomic.Int32
	// stopAsked is set by Shutdown at once, so Restart rejects before the supervisor
	// has processed the shutdown message.
	stopAsked atomic.Bool

	readyOnce  sync.Once
	ready      chan struct{}
	runOnce    sync.Once
	stoppedSys chan struct{}
	done       chan struct{}

	mu       sync.Mutex
	pids     map[string]*actor.PID
	permits  map[string]bool
	crashed  map[string]bool // resources whose actor crashed: not restartable
	failure  *StartupError
	errs     []error
	finished bool
}

// Start creates the engine and begins the startup at once (New followed by Run).
func Start(p *plan.Plan, rt containerdrt.Runtime, o Options) *Handle {
	h := New(p, rt, o)
	h.Run()
	return h
}

// New prepares the engine without starting anything, so that subscribers can be
// registered before the first event.
func New(p *plan.Plan, rt containerdrt.Runtime, o Options) *Handle {
	o = o.withDefaults()
	h := &Handle{plan: p, ready: make(chan struct{}), stoppedSys: make(chan struct{}),
		done: make(chan struct{}), pids: map[string]*actor.PID{}, permits: map[string]bool{},
		crashed: map[string]bool{}}
	h.env = &env{plan: p, rt: rt, o: o, bus: newBus(), views: newViews(p)}
	return h
}

// Run spawns the actor system and begins the startup; later calls do nothing.
func (h *Handle) Run() {
	h.runOnce.Do(func() {
		h.system = newSystem(h.env.o.Logger)
		ctx, cancel := context.WithCancel(context.Background())
		images := h.env.o.Images
		if images == nil {
			images = NewImages()
		}
		h.env.images = images
		// Abandoning the startup abandons the pulls, also those begun before Run.
		sup := newSupervisor(h.env, h, ctx, func() { cancel(); images.cancel() })
		// The guardian replaces protoactor's default for a root actor, which would
		// restart the supervisor on the same mutated struct (crash.go).
		pid := h.system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return sup },
			actor.WithGuardian(&guardian{h})))
		h.mu.Lock()
		h.sup = pid
		h.mu.Unlock()
	})
}

// WaitReady returns nil once stack_started was emitted, the *StartupError after a
// failed startup's rollback, ErrStartupCancelled when Shutdown interrupted the startup,
// or ctx.Err().
func (h *Handle) WaitReady(ctx context.Context) error {
	select {
	case <-h.ready:
		return nil
	case <-h.done:
		select {
		case <-h.ready:
			return nil
		default:
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.failure != nil {
			return h.failure
		}
		return ErrStartupCancelled
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Shutdown stops the stack in reverse dependency order (rolling back a startup in
// progress); kill — the second signal — kills every remaining task at once. It is
// idempotent and returns at once; wait on Done.
func (h *Handle) Shutdown(kill bool) {
	h.Run()
	h.stopAsked.Store(true)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.finished {
		return
	}
	h.system.Root.Send(h.sup, shutdownMsg{kill: kill})
}

// ShutdownWithGrace is Shutdown(false) with a stop grace period that replaces the
// stack's own for this shutdown (`lsctl down --grace` of a supervised stack).
func (h *Handle) ShutdownWithGrace(grace time.Duration) {
	if grace > 0 {
		h.env.stopGrace.Store(int64(grace))
	}
	h.Shutdown(false)
}

// Detach lets go of the stack without stopping it, for a new engine in another
// process to adopt: every resource cancels its in-flight work and waits for it to
// come back (a probe's exec is deleted, not left half-started in the shim), and
// nothing new starts. It returns once every resource is idle or after timeout; the
// Handle is of no further use.
func (h *Handle) Detach(timeout time.Duration) {
	h.stopAsked.Store(true) // Restart refuses from now on
	h.mu.Lock()
	var dones []chan struct{}
	for _, pid := range h.pids {
		done := make(chan struct{})
		dones = append(dones, done)
		h.system.Root.Send(pid, detachMsg{done: done})
	}
	h.mu.Unlock()
	deadline := time.After(timeout)
	for _, done := range dones {
		select {
		case <-done:
		case <-deadline:
			return
		}
	}
}

// Done is closed after stack_stopped and the actor system's shutdown.
func (h *Handle) Done() <-chan struct{} { return h.done }

// Err aggregates the errors of the shutdown steps (docs/spec/runtime.md §12.7: exit code 1).
func (h *Handle) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return errors.Join(h.errs...)
}

// Subscribe returns the events published from now on. Internal subscribers are
// lossless and must read until the channel closes (after stack_stopped) or call
// cancel; external ones are disconnected (channel closed) when 256 events behind.
func (h *Handle) Subscribe(external bool) (<-chan Event, func()) {
	return h.env.bus.subscribe(external)
}

// List returns the resource views in declaration order (docs/spec/runtime.md §14).
func (h *Handle) List() []View { return h.env.views.list() }

// Get returns one resource's view.
func (h *Handle) Get(name string) (View, bool) { return h.env.views.get(name) }

// Running reports whether the stack has started and no shutdown was asked for.
// Stopping reports whether a shutdown was asked for or is under way.
func (h *Handle) Stopping() bool {
	return h.stopAsked.Load() || h.stackPhase() >= phaseStopping
}

func (h *Handle) Running() bool {
	return h.stackPhase() == phaseRunning && !h.stopAsked.Load()
}

// Containerd reports whether the runtime answers now: nil, else an error wrapping
// containerdrt.ErrUnavailable. The answer may be up to a second old.
func (h *Handle) Containerd(ctx context.Context) error { return h.env.rt.Health(ctx) }

// Project is the project name.
func (h *Handle) Project() string { return h.plan.Project }

// Restart begins a restart of one resource (docs/spec/runtime.md §12.6) and returns once it is
// accepted, or rejected with ErrUnknownResource, ErrStackStarting, ErrStackStopping or
// ErrRestartInProgress (test with errors.Is).
func (h *Handle) Restart(name string) error {
	if _, err := h.accepting("restart", name); err != nil {
		return err
	}
	release, err := h.acquire(name)
	if errors.Is(err, ErrBusy) {
		err = ErrRestartInProgress
	}
	if err != nil {
		return fmt.Errorf("restart %q: %w", name, err)
	}
	h.system.Root.Send(h.pids[name], restartMsg{release: release})
	return nil
}

// accepting returns the resource's view when the stack takes requests for it: the
// resource exists, the stack has started and is not stopping.
func (h *Handle) accepting(op, name string) (View, error) {
	v, ok := h.env.views.get(name)
	if !ok {
		return v, fmt.Errorf("%s %q: %w", op, name, ErrUnknownResource)
	}
	switch phase := h.stackPhase(); {
	case h.stopAsked.Load() || phase >= phaseStopping:
		return v, fmt.Errorf("%s %q: %w", op, name, ErrStackStopping)
	case phase == phaseStarting:
		return v, fmt.Errorf("%s %q: %w", op, name, ErrStackStarting)
	}
	return v, nil
}

// acquire takes the resource's permit, exclusive per resource and shared by restart,
// stop and start; release gives it back (once, whoever calls it). A crashed resource
// (ErrResourceCrashed) and a permit held (ErrBusy) refuse it.
func (h *Handle) acquire(name string) (release func(), err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.crashed[name] {
		return nil, ErrResourceCrashed
	}
	if h.permits[name] {
		return nil, ErrBusy
	}
	h.permits[name] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			delete(h.permits, name)
		})
	}, nil
}

func (h *Handle) setPID(name string, pid *actor.PID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pids[name] = pid
}

// markCrashed records that the resource's actor crashed: it cannot be restarted.
func (h *Handle) markCrashed(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.crashed[name] = true
}

// markReady unblocks WaitReady after stack_started.
func (h *Handle) markReady() { h.readyOnce.Do(func() { close(h.ready) }) }

// finish is called by the supervisor after stack_stopped (or by the guardian when the
// supervisor crashed): it stops the actors, waits for them and for any image
// acquisition, then closes the bus and Done. Later calls do nothing.
func (h *Handle) finish(sup *actor.PID, failure *StartupError, errs []error) {
	h.mu.Lock()
	if h.finished {
		h.mu.Unlock()
		return
	}
	h.failure, h.errs, h.finished = failure, errs, true
	h.mu.Unlock()
	h.system.Root.Stop(sup)
	go func() {
		<-h.stoppedSys
		h.env.images.wait()
		h.system.Shutdown()
		h.env.bus.close()
		close(h.done)
	}()
}

// actorsStopped is called once the supervisor and its children have stopped.
func (h *Handle) actorsStopped() { close(h.stoppedSys) }

// stackPhase is the supervisor's phase as last published to the Handle.
func (h *Handle) stackPhase() stackPhase { return stackPhase(h.phase.Load()) }
