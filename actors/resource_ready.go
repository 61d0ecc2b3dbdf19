package actors

import (
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/lightshuttle/lsctl/plan"
)

// becomeReady marks the incarnation ready (§11.4) and tells the supervisor and the
// dependents on the first readiness, or releases a manual restart's permit.
func (a *resource) becomeReady() {
	a.health.readiness = readyHealthy
	a.reportPhase(PhaseReadiness, a.health.readinessFrom, nil) // before the event: see Options.Phase
	a.releasePermit()                                          // before the event: a client reacting to it may restart again
	if a.node.Health == nil {
		a.setStatus(StatusRunning)
	} else {
		a.setStatus(StatusHealthy)
	}
	a.emit(Event{Type: ResourceHealthy})
	a.become(lcReady, a.stateReady)
	a.reset.stop()
	a.after(a.ctx, a.o.ResetAfter, tickReset, a.reset.token)
	if a.everReady {
		return
	}
	a.everReady = true
	a.root.Send(a.sup, resReady{name: a.node.Name, outputs: a.node.Outputs})
	for _, d := range a.dependents {
		a.root.Send(d, depReady{name: a.node.Name, outputs: a.node.Outputs})
	}
}

// stateReady: running and probed; an exit is supervised (§12.4).
func (a *resource) stateReady(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case probeDone:
		a.onProbe(m)
	case tick:
		a.onHealthTick(m)
	case exited:
		if a.observed(m) {
			a.onExitAfterReady(m.status.Code)
		}
	case rewatched:
		a.onRewatched(m)
	default:
		a.common(ctx)
	}
}

// onResetTick resets the attempt counter after ResetAfter continuously ready (§12.5).
func (a *resource) onResetTick(m tick) {
	if m.token == a.reset.token && a.health.readiness.ready() {
		a.attempts = 0
	}
}

// recordExit keeps the exit code for the view and the on-failure decision.
func (a *resource) recordExit(code int) {
	a.lastExit = &code
	a.views.update(a.node.Name, func(v *View) { c := code; v.ExitCode = &c })
}

// onExitAfterReady handles an exit lsctl did not cause (§12.4, §12.2 step 8).
func (a *resource) onExitAfterReady(code int) {
	a.cancel()
	a.gen++
	a.reset.stop()
	a.recordExit(code)
	a.setStatus(StatusExited)
	a.emit(Event{Type: ResourceExited, ExitCode: &code})
	a.become(lcExited, a.stateExited)
	if !a.stackStarted && a.node.Restart == plan.RestartNo && code != 0 {
		a.fail(fmt.Sprintf("exited with code %d", code))
		return
	}
	if restartWanted(a.node.Restart, code) {
		a.scheduleRestart()
	}
}

// restartWanted applies the policy table of §12.5.
func restartWanted(p plan.RestartPolicy, code int) bool {
	switch p {
	case plan.RestartAlways:
		return true
	case plan.RestartOnFailure:
		return code != 0
	}
	return false
}

// scheduleRestart arms the backoff timer of the next policy attempt.
func (a *resource) scheduleRestart() {
	a.attempts++
	a.backoff.stop()
	ctx, cancel := contextWithCancel()
	a.backoff.cancel = cancel
	a.after(ctx, a.o.Backoff(a.attempts), tickBackoff, a.backoff.token)
}

// stateExited: the task ended; a policy attempt may be pending.
func (a *resource) stateExited(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case tick:
		if m.kind == tickBackoff && !m.cancelled && m.token == a.backoff.token && !a.winding.aborted() {
			a.backoff.cancel()
			a.backoff.cancel = nil
			a.attemptRestart()
		}
	default:
		a.common(ctx)
	}
}

// attemptRestart begins policy attempt n: a fresh container, dependencies not
// re-awaited (§12.5).
func (a *resource) attemptRestart() {
	a.countRestart()
	a.emit(Event{Type: ResourceRestarting, Attempt: a.attempts})
	a.recreate(modePolicy)
}

// countRestart increments restarts (policy and manual, docs/spec/runtime.md §14).
func (a *resource) countRestart() {
	a.restarts++
	n := a.restarts
	a.views.update(a.node.Name, func(v *View) { v.Restarts = n })
}

// stateFailed: could not be started or made ready; waits for a stop or a restart.
func (a *resource) stateFailed(ctx actor.Context) { a.common(ctx) }

// fail handles a failure of the current incarnation according to why it was starting.
func (a *resource) fail(reason string) { a.failBecause(reason, nil) }

// failBecause is fail with the error that caused it, which a startup failure wraps
// (StartupError) so that callers can inspect it with errors.Is and errors.As.
func (a *resource) failBecause(reason string, cause error) {
	if from := a.health.readinessFrom; !from.IsZero() && !a.health.readiness.ready() {
		a.reportPhase(PhaseReadiness, from, errors.New(reason))
		a.health.readinessFrom = time.Time{}
	}
	a.cancel()
	a.gen++
	a.reset.stop()
	if a.mode == modeManual {
		a.releasePermit() // before the event, as in becomeReady
	}
	a.setLastError(reason)
	if a.mode == modePolicy {
		a.discardContainer()
		a.setStatus(StatusExited)
		a.emit(Event{Type: ResourceFailed, Error: reason})
		a.become(lcExited, a.stateExited)
		if a.node.Restart == plan.RestartOnFailure && a.lastExit != nil && *a.lastExit == 0 {
			return // an on-failure attempt that exited 0 ends the loop
		}
		a.scheduleRestart()
		return
	}
	a.setStatus(StatusFailed)
	a.emit(Event{Type: ResourceFailed, Error: reason})
	a.become(lcFailed, a.stateFailed)
	if a.mode == modeStartup {
		a.root.Send(a.sup, resFailed{name: a.node.Name, reason: a.o.Redact(reason), cause: cause, beforeReady: !a.everReady, logSince: a.logSince})
	}
}

// discardContainer stops (with grace) and removes the container of a failed policy
// attempt at once (§12.5); onKill can still reach it while it goes.
func (a *resource) discardContainer() {
	if a.container == nil {
		return
	}
	id, grace := a.container.ID(), a.o.Grace
	a.container, a.dying = nil, id
	a.views.update(a.node.Name, func(v *View) { v.ContainerID, v.IP, v.Ports = nil, nil, nil })
	a.run(func() opResult { return a.stopAndRemove(discardGen, id, grace, false) })
}

// failWith marks the resource failed without a report to the supervisor.
func (a *resource) failWith(reason string) {
	a.setLastError(reason)
	a.setStatus(StatusFailed)
	a.emit(Event{Type: ResourceFailed, Error: reason})
	a.become(lcFailed, a.stateFailed)
}

// setLastError records the redacted reason as the view's last_error.
func (a *resource) setLastError(reason string) {
	r := a.o.Redact(reason)
	a.views.update(a.node.Name, func(v *View) { v.LastError = &r })
}

// releasePermit frees a manual restart's permit (§12.6 step 4).
func (a *resource) releasePermit() {
	if a.release != nil {
		a.release()
		a.release = nil
	}
}
