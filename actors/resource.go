package actors

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

// mode tells why the current incarnation is starting; it decides what a failure means.
type mode int

const (
	modeStartup mode = iota // part of up: a failure fails the startup
	modePolicy              // restart-policy attempt: a failure schedules the next one
	modeManual              // restart-one: a failure leaves the resource failed
)

// env is what every actor of a stack shares.
type env struct {
	plan   *plan.Plan
	rt     containerdrt.Runtime
	o      Options
	bus    *bus
	views  *views
	images *Images
	// stopGrace, when non-zero, is the grace period of the shutdown in progress,
	// given by whoever asked for it; else Options.Grace applies.
	stopGrace atomic.Int64
}

// shutdownGrace is the grace period for stopping a container during the shutdown.
func (e *env) shutdownGrace() time.Duration {
	if g := e.stopGrace.Load(); g > 0 {
		return time.Duration(g)
	}
	return e.o.Grace
}

// teardownTimeout is the deadline of one teardown step of the shutdown in progress,
// derived from its grace period.
func (e *env) teardownTimeout() time.Duration { return e.o.teardownTimeout(e.shutdownGrace()) }

// resource is the actor owning one plan node's lifecycle (docs/spec/runtime.md §12). Its state
// changes only in Receive; runtime calls run in goroutines whose results come back as
// messages tagged with the incarnation (gen) they belong to.
type resource struct {
	*env
	node       *plan.Node
	sup        *actor.PID
	dependents []*actor.PID
	behavior   actor.Behavior
	self       *actor.PID
	root       *actor.RootContext

	gen        int
	ctx        context.Context // the current incarnation's work
	cancel     context.CancelFunc
	inflight   int
	afterDrain func()
	// probesInFlight counts the probe goroutines among inflight; stopPastProbe lets the
	// pending stop run before they are back (drained, whenDrainedButProbes).
	probesInFlight int
	stopPastProbe  bool
	mode           mode

	imageReady, netUp, preparing bool
	waiting                      map[string]bool // dependencies not ready yet
	depOutputs                   map[string]map[string]string
	container                    containerdrt.Container
	dying                        string    // ID of a container being discarded
	status                       Status    // what views show
	state                        lifecycle // what decisions read (become)
	everReady, stackStarted      bool
	winding                      winding

	// adopted: the current container ran before this up and was reused as it is;
	// keepAdopted: the stop under way is a rollback, which leaves such a container.
	adopted, keepAdopted bool

	// logSince is when the current attempt's container began to write to the
	// resource's log (zero before it has one): a startup failure report shows only the
	// lines written since, never an earlier attempt's or an adopted container's older
	// lines (docs/spec/runtime.md §12.3).
	logSince time.Time

	health   healthState
	attempts int // consecutive policy attempts
	restarts int
	lastExit *int
	backoff  timerSlot
	reset    timerSlot
	release  func()    // permit held by a manual restart, stop or start
	killedAt time.Time // when a kill by hand was announced; zero: none pending
}

// discardGen tags the result of discarding a failed attempt's container.
const discardGen = -2

// timerSlot is one cancellable timer identified by a token.
type timerSlot struct {
	token  int
	cancel context.CancelFunc
}

func (t *timerSlot) stop() {
	if t.cancel != nil {
		t.cancel()
		t.cancel = nil
	}
	t.token++
}

func newResource(e *env, n *plan.Node, sup *actor.PID, dependents []*actor.PID) *resource {
	a := &resource{env: e, node: n, sup: sup, dependents: dependents, behavior: actor.NewBehavior(),
		waiting: map[string]bool{}, depOutputs: map[string]map[string]string{}, status: StatusPending}
	for _, d := range n.DependsOn {
		a.waiting[d] = true
	}
	return a
}

// Receive counts finished goroutines, dispatches to the current state, then runs the
// continuation waiting for every goroutine to be back. A panic crashes the actor for
// good (crash.go).
func (a *resource) Receive(ctx actor.Context) {
	msg := ctx.Message()
	switch msg.(type) {
	case *actor.Stopping: // the end of the stack, or after a crash
		a.quiesce()
		return
	case *actor.Stopped, *actor.Restarting:
		return
	}
	defer a.recoverPanic(msg)
	if a.o.receiveHook != nil {
		a.o.receiveHook(a.node.Name, msg)
	}
	switch m := msg.(type) {
	case *actor.Started:
		a.self, a.root = ctx.Self(), ctx.ActorSystem().Root
		a.begin()
		return
	case opResult:
		a.inflight--
		if _, ok := m.(probeDone); ok {
			a.probesInFlight--
		}
	}
	if !a.intercept(ctx.Message()) {
		a.behavior.Receive(ctx)
	}
	for a.afterDrain != nil && a.drained() {
		f := a.afterDrain
		a.whenDrained(nil)
		f()
	}
}

// whenDrained makes f the continuation that runs once every goroutine is back (nil:
// none). Every continuation is set here or in whenDrainedButProbes, so that none
// inherits the other's condition.
func (a *resource) whenDrained(f func()) { a.afterDrain, a.stopPastProbe = f, false }

// whenDrainedButProbes makes f, a stop, the continuation that runs once every goroutine
// but a probe's is back: the stop's kill ends the probe anyway (drained).
func (a *resource) whenDrainedButProbes(f func()) { a.afterDrain, a.stopPastProbe = f, true }

// drained reports whether the pending continuation may run: every goroutine is back,
// or, for a stop, every one but a probe's. A cancelled exec probe can take half a
// second to notice (its process is being created or killed in the shim), and the
// stop's own kill ends it anyway; the stop's end still waits for it (stateStopping).
func (a *resource) drained() bool {
	return a.inflight == 0 || (a.stopPastProbe && a.inflight == a.probesInFlight)
}

// run executes f in a goroutine and delivers its result to the actor.
func (a *resource) run(f func() opResult) {
	a.inflight++
	root, self := a.root, a.self
	go func() { root.Send(self, f()) }()
}

// after delivers a tick after d, or a cancelled tick when ctx ends first.
func (a *resource) after(ctx context.Context, d time.Duration, kind tickKind, token int) {
	gen := a.gen
	a.run(func() opResult {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return tick{opBase: opBase{gen}, kind: kind, token: token}
		case <-ctx.Done():
			return tick{opBase: opBase{gen}, kind: kind, token: token, cancelled: true}
		}
	})
}

// newIncarnation cancels the previous incarnation's work and starts a fresh context.
func (a *resource) newIncarnation(m mode) {
	if a.cancel != nil {
		a.cancel()
	}
	a.gen++
	a.mode = m
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.health = healthState{}
	a.logSince = time.Time{}
}

// current reports whether an async result belongs to the current incarnation.
func (a *resource) current(r opResult) bool { return r.generation() == a.gen && !a.winding.aborted() }

// emit publishes a resource event stamped now.
func (a *resource) emit(e Event) {
	e.Resource, e.TS = a.node.Name, a.o.Now()
	if e.Error != "" {
		e.Error = a.o.Redact(e.Error)
	}
	a.bus.publish(e)
}

// lifecycle is the condition of a resource as its state machine stands. Its behavior
// (the message handler) changes with it, except that an aborted resource drains
// (winding) in whatever condition it was; status, the display word, can say more
// (healthy, pulling) and lags behind during a stop.
type lifecycle uint8

const (
	lcPending    lifecycle = iota // acquiring the image, preparing, waiting for dependencies
	lcStarting                    // task started, not ready yet
	lcReady                       // ready; healthy or unhealthy
	lcExited                      // the task exited; a policy restart may follow
	lcFailed                      // failed; nothing restarts it but a start by hand
	lcStopping                    // the shutdown stops and removes its container
	lcStopped                     // the shutdown is done with it
	lcHalting                     // a stop by hand under way
	lcHalted                      // stopped by hand
	lcRecreating                  // its container is being replaced
)

// become moves the resource to condition l with behavior b.
func (a *resource) become(l lifecycle, b actor.ReceiveFunc) {
	a.state = l
	a.behavior.Become(b)
}

func (a *resource) setStatus(s Status) {
	a.status = s
	a.views.update(a.node.Name, func(v *View) { v.Status = s })
}

// begin starts image acquisition at once, without waiting for anything (§12.2 step 3).
func (a *resource) begin() {
	a.newIncarnation(modeStartup)
	a.become(lcPending, a.statePending)
	a.acquireImage()
}
