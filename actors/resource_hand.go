package actors

import (
	"context"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// intercept handles, in every state, the requests by hand, the exit a kill by hand
// caused, and a slow step's report (phases.go); it reports whether it consumed the
// message.
func (a *resource) intercept(msg any) bool {
	switch m := msg.(type) {
	case handStop:
		a.onHandStop(m)
	case handStart:
		a.onHandStart(m)
	case handKill:
		a.killedAt = a.o.Now()
	case slowStep:
		a.onSlowStep(m)
	case exited:
		return a.takeHandExit(m)
	default:
		return false
	}
	return true
}

// onHandStop ends the current incarnation (probes, timers, a pending policy attempt)
// and stops the task once its goroutines are back, a probe's excepted (drained).
func (a *resource) onHandStop(m handStop) {
	if !a.takeRequest(m.release) {
		return
	}
	grace := m.grace
	if grace <= 0 {
		grace = a.o.Grace
	}
	a.become(lcHalting, a.stateHalting)
	// No new container comes before a start, which waits for the probe.
	a.whenDrainedButProbes(func() { a.halt(grace) })
}

// onHandStart starts the resource again once the previous incarnation's goroutines
// are back: Prepare gives a container stopped by hand a fresh task, and recreates
// anything else.
func (a *resource) onHandStart(m handStart) {
	if !a.takeRequest(m.release) {
		return
	}
	a.become(lcRecreating, a.stateRecreating)
	a.whenDrained(a.prepare)
}

// takeRequest holds a request's permit and ends the current incarnation; during the
// shutdown it gives the permit back and reports false.
func (a *resource) takeRequest(release func()) bool {
	if a.winding.aborted() {
		release()
		return false
	}
	a.release = release
	a.endIncarnation()
	return true
}

// endIncarnation cancels what the current incarnation has in flight and forgets its
// exit, for a new one run by hand.
func (a *resource) endIncarnation() {
	a.newIncarnation(modeManual)
	a.lastExit = nil
	a.killedAt = time.Time{}
	a.backoff.stop()
	a.reset.stop()
}

// halt stops the task with the stop signal and grace, keeping the container.
func (a *resource) halt(grace time.Duration) {
	if a.container == nil {
		a.halted(nil)
		return
	}
	a.setStatus(StatusStopping)
	a.emit(Event{Type: ResourceStopping})
	id, gen := a.container.ID(), a.gen
	a.run(func() opResult {
		code, err := a.rt.StopByHand(context.Background(), id, grace)
		return haltDone{stopDone{opBase: opBase{gen}, err: err}, code}
	})
}

// haltDone is the result of a stop by hand.
type haltDone struct {
	stopDone
	code int
}

// stateHalting: a stop by hand is in progress.
func (a *resource) stateHalting(ctx actor.Context) {
	if m, ok := ctx.Message().(haltDone); ok && a.current(m) {
		if m.err == nil {
			a.recordExit(m.code)
		}
		a.halted(m.err)
		return
	}
	a.common(ctx)
}

// halted ends a stop by hand: stopped, or failed when the stop did not work.
func (a *resource) halted(err error) {
	if err != nil {
		a.become(lcFailed, a.stateHalted) // failed, yet startable by hand
		reason := fmt.Sprintf("stopping: %v", err)
		a.setLastError(reason)
		a.setStatus(StatusFailed)
		a.releasePermit() // after the status, before the event, as in becomeReady
		a.emit(Event{Type: ResourceFailed, Error: reason})
		return
	}
	a.become(lcHalted, a.stateHalted)
	a.setStatus(StatusStopped)
	a.releasePermit()
	a.emit(Event{Type: ResourceStopped})
}

// stateHalted: stopped by hand; only a start, a restart or the shutdown moves it.
func (a *resource) stateHalted(ctx actor.Context) { a.common(ctx) }

// takeHandExit turns an exit within the grace period after a kill by hand into a stop
// by hand: stopped, not exited, and no restart policy.
func (a *resource) takeHandExit(m exited) bool {
	if !a.current(m) || !m.ok || a.killedAt.IsZero() || a.o.Now().Sub(a.killedAt) > a.o.Grace {
		return false
	}
	a.endIncarnation()
	a.recordExit(m.status.Code)
	a.become(lcHalted, a.stateHalted)
	a.setStatus(StatusStopped)
	a.emit(Event{Type: ResourceStopped})
	a.markStopped()
	return true
}

// markStopped labels the container stopped by hand, as `lsctl kill` without an owner
// does: the next Prepare revives it (a start waits for the label, being in flight),
// and a ps after this owner has gone says stopped. Without the label, the container
// is merely recreated: a failure is not worth a state of its own.
func (a *resource) markStopped() {
	if a.container == nil {
		return
	}
	id, gen := a.container.ID(), a.gen
	a.run(func() opResult {
		_ = a.rt.MarkStoppedByHand(context.Background(), id)
		return markedStopped{opBase{gen}}
	})
}

// markedStopped: markStopped is done.
type markedStopped struct{ opBase }
