package actors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/lightshuttle/lsctl/containerdrt"
)

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// common handles what every state accepts: the stack's control messages, stop and
// kill (which must always get through), restart requests and stray results.
func (a *resource) common(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case stackStartedMsg:
		a.stackStarted = true
	case netReady:
		a.netUp = true
	case depReady:
		a.depOutputs[m.name] = m.outputs
		delete(a.waiting, m.name)
	case prepared:
		a.adoptStale(m)
	case restartMsg:
		a.onRestart(m)
	case abortMsg:
		a.abort()
	case stopMsg:
		a.keepAdopted = m.keepAdopted
		a.onStop()
	case killMsg:
		a.onKill()
	case detachMsg:
		a.abort()
		done := m.done
		a.whenDrained(func() { close(done) })
	case stopDone:
		if m.gen == discardGen {
			a.dying = ""
		}
	}
}

// winding records how far the resource is being wound down. Aborted comes first (no
// new work starts); then a stop and a kill, in either order: the supervisor sends the
// kill of a second interrupt to every resource, also to those whose stop still waits
// for their dependents (docs/spec/runtime.md §12.7, §12.8).
type winding uint8

const (
	windAborted  winding = 1 << iota // in-flight work cancelled, nothing new starts
	windStopping                     // the container is being stopped and removed
	windKilling                      // tasks are killed at once, without grace
)

func (w winding) aborted() bool { return w&windAborted != 0 }
func (w winding) killing() bool { return w&windKilling != 0 }

// abort cancels every in-flight operation and timer; nothing new starts afterwards.
func (a *resource) abort() {
	if a.winding.aborted() {
		return
	}
	a.winding |= windAborted
	a.whenDrained(nil) // a pending replacement must not prepare anything
	a.cancel()
	a.gen++
	a.backoff.stop()
	a.reset.stop()
	a.releasePermit()
	a.behavior.Become(a.stateDraining) // in the condition it was (a.state); winding says aborted
}

// stateDraining: aborted; waiting for the stop message.
func (a *resource) stateDraining(ctx actor.Context) { a.common(ctx) }

// onStop stops and removes the container once every goroutine but a probe's is back
// (so that a container still being prepared is removed too).
func (a *resource) onStop() {
	if a.winding&windStopping != 0 {
		return
	}
	a.abort()
	a.winding |= windStopping
	if a.keepAdopted {
		// A rollback may leave the container running: then no probe of it may outlive the stop.
		a.whenDrained(a.stopContainer)
		return
	}
	a.whenDrainedButProbes(a.stopContainer)
}

// onKill kills the task at once (second interrupt, docs/spec/runtime.md §12.8).
func (a *resource) onKill() {
	if a.winding.killing() {
		return
	}
	a.winding |= windKilling
	for _, id := range []string{a.containerID(), a.dying} {
		if id != "" {
			op := fmt.Sprintf("kill the task of container %s of resource %q", id, a.node.Name)
			a.run(func() opResult {
				return killDone{opBase{-1}, containerdrt.Teardown(context.Background(), a.teardownTimeout(), op,
					func(ctx context.Context) error { return a.rt.Kill(ctx, id) })}
			})
		}
	}
}

// containerID is the current container's ID, "" when there is none.
func (a *resource) containerID() string {
	if a.container == nil {
		return ""
	}
	return a.container.ID()
}

// stopContainer runs §12.7 step 3 for this resource: stop signal, grace, kill, remove.
func (a *resource) stopContainer() {
	failed := a.state == lcFailed
	if a.container == nil {
		a.finishStop(failed, nil)
		return
	}
	if a.keepAdopted && a.adopted && a.runsAsAdopted() {
		// A rollback: the container ran before this up and still does; leave it.
		a.become(lcStopped, a.stateStopped)
		a.root.Send(a.sup, resStopped{name: a.node.Name, kept: true})
		return
	}
	a.setStatus(StatusStopping)
	a.emit(Event{Type: ResourceStopping})
	a.become(lcStopping, func(ctx actor.Context) { a.stateStopping(ctx, failed) })
	id, gen, grace, kill := a.container.ID(), a.gen, a.shutdownGrace(), a.winding.killing()
	a.run(func() opResult { return a.stopAndRemove(gen, id, grace, kill) })
}

// stopAndRemove stops the task and removes the container; removal is attempted even
// when stopping failed. The whole step has the teardown deadline (grace + 30 s): a
// containerd that does not answer cannot hold the shutdown forever.
func (a *resource) stopAndRemove(gen int, id string, grace time.Duration, kill bool) stopDone {
	op := fmt.Sprintf("remove container %s of resource %q", id, a.node.Name)
	left := false
	err := containerdrt.Teardown(context.Background(), a.o.teardownTimeout(grace), op, func(ctx context.Context) error {
		var errs []error
		if kill {
			grace = 0
			if err := a.rt.Kill(ctx, id); err != nil {
				errs = append(errs, fmt.Errorf("killing %s: %w", a.node.Name, err))
			}
		}
		if _, err := a.rt.Stop(ctx, id, "", grace); err != nil {
			errs = append(errs, fmt.Errorf("stopping %s: %w", a.node.Name, err))
		}
		if err := a.rt.Remove(ctx, id); err != nil {
			left = true
			errs = append(errs, fmt.Errorf("removing %s: %w", a.node.Name, err))
		}
		return errors.Join(errs...)
	})
	var te *containerdrt.TeardownError
	return stopDone{opBase: opBase{gen}, err: err, left: left || errors.As(err, &te)}
}

// stateStopping: the stop is in progress; kill may still arrive.
func (a *resource) stateStopping(ctx actor.Context, failed bool) {
	switch m := ctx.Message().(type) {
	case stopDone:
		if m.generation() != a.gen {
			a.common(ctx)
			return
		}
		err := m.err
		if m.left { // the container may still be there: failed, not stopped
			failed = true
			a.setLastError(err.Error())
		}
		a.clearContainer(failed)
		if m.left {
			a.emit(Event{Type: ResourceFailed, Error: err.Error()})
		} else {
			a.emit(Event{Type: ResourceStopped})
		}
		a.whenDrained(func() { a.finishStop(failed, err) })
	default:
		a.common(ctx)
	}
}

// finishStop reports the resource stopped; a failed resource keeps its status.
func (a *resource) finishStop(failed bool, err error) {
	a.become(lcStopped, a.stateStopped)
	a.clearContainer(failed)
	a.root.Send(a.sup, resStopped{name: a.node.Name, err: err})
}

// clearContainer forgets the removed container; a failed resource keeps its status.
func (a *resource) clearContainer(failed bool) {
	a.container = nil
	if failed {
		a.setStatus(StatusFailed)
	} else {
		a.setStatus(StatusStopped)
	}
	a.views.update(a.node.Name, func(v *View) { v.ContainerID, v.IP, v.Ports = nil, nil, nil })
}

// stateStopped: final; a late restart request only gives its permit back.
func (a *resource) stateStopped(ctx actor.Context) {
	if m, ok := ctx.Message().(restartMsg); ok {
		m.release()
	}
}

// onRestart begins a restart of this resource (docs/spec/runtime.md §12.6).
func (a *resource) onRestart(m restartMsg) {
	if a.winding.aborted() {
		m.release()
		return
	}
	a.release = m.release
	a.countRestart()
	a.recreate(modeManual)
}

// recreate replaces the container with a fresh one once the previous incarnation's
// goroutines are back; a pending policy attempt is cancelled.
func (a *resource) recreate(m mode) {
	a.newIncarnation(m)
	a.lastExit = nil
	a.backoff.stop()
	a.reset.stop()
	a.become(lcRecreating, a.stateRecreating)
	a.whenDrained(a.replaceContainer)
}

// replaceContainer stops and removes the old container (events only for restart-one),
// then prepares the new one.
func (a *resource) replaceContainer() {
	if a.container == nil {
		a.prepare()
		return
	}
	if a.mode == modeManual {
		a.setStatus(StatusStopping)
		a.emit(Event{Type: ResourceStopping})
	}
	id, gen, grace := a.container.ID(), a.gen, a.o.Grace
	a.run(func() opResult { return a.stopAndRemove(gen, id, grace, false) })
}

// stateRecreating: the old container goes, the new one is prepared, then started.
func (a *resource) stateRecreating(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case stopDone:
		if !a.current(m) {
			a.common(ctx)
			return
		}
		a.container = nil
		if a.mode == modeManual {
			a.clearContainer(false)
			a.emit(Event{Type: ResourceStopped})
		}
		if m.err != nil {
			a.o.Logger.Warn("replacing container", "resource", a.node.Name, "error", a.o.Redact(m.err.Error()))
		}
		a.prepare()
	case prepared:
		if !a.current(m) {
			a.adoptStale(m)
			return
		}
		if m.err != nil {
			a.failBecause(fmt.Sprintf("creating container: %v", m.err), m.err)
			return
		}
		a.setContainer(m)
		a.startTask()
	default:
		a.common(ctx)
	}
}

// runsAsAdopted reports whether the adopted container still runs as it was found:
// not exited, not failed, not stopped, not replaced.
func (a *resource) runsAsAdopted() bool {
	switch a.state {
	case lcExited, lcFailed, lcStopping, lcStopped, lcHalting, lcHalted, lcRecreating:
		return false
	}
	return true // still as found, even when this up never got to start it
}
