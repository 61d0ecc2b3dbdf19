package actors

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// A panic in an actor is a bug in lsctl. protoactor's default strategy would restart
// the actor by sending Started to the same mutated struct, which leaves a resource
// showing `running` while it no longer reacts to anything. Instead:
//   - a resource actor logs the panic with its stack and cancels its work, then lets
//     protoactor hand the failure to the supervisor's strategy (HandleFailure), which
//     stops that actor for good and fails its resource with "internal error" under the
//     stack's usual rules; the supervisor removes its container itself;
//   - the stack supervisor logs its own panic and stops every resource at once, then
//     ends with an error (emergency);
//   - if even that panics, the guardian strategy ends the Handle so that nobody waits
//     forever, with an error that says containers may be left.

// internalError is the reason of a resource whose actor crashed.
const internalError = "internal error"

// crashState is the supervisor's record of a resource whose actor crashed.
type crashState struct {
	removing, removed, reported bool
	err                         error
}

// crashRemoved is the result of removing a crashed resource's container.
type crashRemoved struct {
	name string
	err  error
}

// recoverPanic logs a panic of the resource actor with its stack (only here is the
// stack still there), cancels the actor's work, and panics again for protoactor.
func (a *resource) recoverPanic(msg any) {
	r := recover()
	if r == nil {
		return
	}
	logPanic(a.o, "resource actor", msg, r, "resource", a.node.Name)
	a.quiesce()
	panic(r)
}

// logPanic logs a recovered panic r of an actor handling msg, with the stack trace:
// called from the deferred recovery, the stack still shows where the panic happened.
func logPanic(o Options, actorKind string, msg, r any, attrs ...any) {
	o.Logger.Error("internal error: "+actorKind+" panicked", append(attrs, "message", fmt.Sprintf("%T", msg),
		"panic", o.Redact(fmt.Sprint(r)), "stack", string(debug.Stack()))...)
}

// quiesce cancels every goroutine and timer of the actor and frees a restart permit:
// nothing of an actor that is going away may go on.
func (a *resource) quiesce() {
	if a.cancel != nil {
		a.cancel()
	}
	a.backoff.stop()
	a.reset.stop()
	a.releasePermit()
}

// HandleFailure is the supervision strategy of the resource actors (protoactor uses a
// parent actor's own HandleFailure instead of its default): the crashed actor is
// stopped, never restarted, and its resource fails.
func (s *supervisor) HandleFailure(_ *actor.ActorSystem, sv actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, _, msg any) {
	defer s.recoverPanic(msg)
	sv.StopChildren(child)
	for name, pid := range s.pids {
		if pid.Equal(child) {
			s.onCrash(name)
			return
		}
	}
}

// onCrash fails the resource with "internal error" and applies the usual rules: a
// startup fails and rolls back; a running stack keeps running without it (its
// container is removed, as after a failed restart attempt); a shutdown goes on.
func (s *supervisor) onCrash(name string) {
	if s.crashed[name] != nil {
		return
	}
	// A resource that had stopped already has nothing left to remove.
	s.crashed[name] = &crashState{removed: s.stopped[name], reported: s.stopped[name]}
	s.h.markCrashed(name)
	reason := internalError
	s.views.update(name, func(v *View) { v.Status, v.LastError = StatusFailed, &reason })
	s.bus.publish(Event{Type: ResourceFailed, Resource: name, Error: reason, TS: s.o.Now()})
	switch {
	case s.phase == phaseStarting:
		s.startupFailed(name, reason, nil, !s.ready[name], time.Time{})
	case s.phase == phaseRunning || s.stopSent[name]:
		s.removeCrashed(name)
	}
}

// removeCrashed removes a crashed resource's container (its actor is gone), or, when
// that is done and the shutdown asked for it, reports the resource stopped.
func (s *supervisor) removeCrashed(name string) {
	c := s.crashed[name]
	switch {
	case c.removed:
		s.reportCrashStopped(name)
	case !c.removing:
		c.removing = true
		if s.stopSent[name] {
			s.publishResource(ResourceStopping, name)
		}
		id := s.plan.Nodes[s.index(name)].Spec.ID
		op := fmt.Sprintf("remove container %s of resource %q", id, name)
		root, self, rt, grace, timeout := s.root, s.self, s.rt, s.shutdownGrace(), s.teardownTimeout()
		go func() {
			err := containerdrt.Teardown(context.Background(), timeout, op, func(ctx context.Context) error {
				_, stopErr := rt.Stop(ctx, id, "", grace)
				if err := rt.Remove(ctx, id); err != nil {
					return errors.Join(stopErr, err)
				}
				return nil
			})
			root.Send(self, crashRemoved{name: name, err: err})
		}()
	}
}

// onCrashRemoved records the removal and reports it when the shutdown waits for it.
func (s *supervisor) onCrashRemoved(m crashRemoved) {
	c := s.crashed[m.name]
	c.removing, c.removed, c.err = false, true, m.err
	s.views.update(m.name, func(v *View) { v.ContainerID, v.IP, v.Ports = nil, nil, nil })
	if m.err != nil && !s.stopSent[m.name] {
		s.o.Logger.Warn("removing the container of a crashed resource", "resource", m.name, "error", s.o.Redact(m.err.Error()))
	}
	if s.stopSent[m.name] {
		if m.err == nil {
			s.publishResource(ResourceStopped, m.name)
		}
		s.reportCrashStopped(m.name)
	}
}

// reportCrashStopped counts a crashed resource as stopped, once.
func (s *supervisor) reportCrashStopped(name string) {
	c := s.crashed[name]
	if c.reported {
		return
	}
	c.reported = true
	s.onStopped(resStopped{name: name, err: c.err})
}

// recoverPanic logs a panic of the supervisor with its stack and stops the stack in an
// emergency. A second panic goes to protoactor, hence to the guardian.
func (s *supervisor) recoverPanic(msg any) {
	r := recover()
	if r == nil {
		return
	}
	logPanic(s.o, "stack supervisor", msg, r, "project", s.plan.Project)
	if s.broken || s.phase == phaseStopped {
		panic(r)
	}
	s.emergency()
}

// emergency stops every resource at once: the supervisor's bookkeeping of the stop
// order can no longer be trusted, only whether a resource has stopped. The network
// goes last as usual, and the stack ends with an error (exit code 1).
func (s *supervisor) emergency() {
	s.broken = true
	s.errs = append(s.errs, errors.New("internal error in the stack supervisor: every resource was stopped at once"))
	if s.phase == phaseStarting && s.failure == nil {
		s.failure = &StartupError{Reason: internalError}
	}
	if s.phase != phaseStopping {
		s.setPhase(phaseStopping)
		s.publish(StackStopping)
	}
	s.cancel()
	for _, n := range s.plan.Nodes {
		if s.stopped[n.Name] {
			continue
		}
		s.stopSent[n.Name] = true
		if s.crashed[n.Name] != nil {
			s.removeCrashed(n.Name)
			continue
		}
		s.send(n.Name, abortMsg{})
		s.send(n.Name, stopMsg{})
	}
	s.maybeTeardown()
}

// guardian is the supervision strategy of the stack supervisor itself, reached only
// when its own recovery failed: it stops the supervisor (protoactor stops the resource
// actors with it, removing nothing) and ends the Handle with an error, so that `up`
// exits instead of waiting forever.
type guardian struct{ h *Handle }

func (g *guardian) HandleFailure(_ *actor.ActorSystem, sv actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, reason, _ any) {
	h := g.h
	h.env.o.Logger.Error("internal error: the stack supervisor failed twice", "project", h.plan.Project,
		"panic", h.env.o.Redact(fmt.Sprint(reason)))
	sv.StopChildren(child)
	var failure *StartupError
	if h.stackPhase() == phaseStarting {
		failure = &StartupError{Reason: internalError}
	}
	h.finish(child, failure, []error{errors.New("internal error in the stack supervisor: it stopped without " +
		"removing the containers; run lsctl down to remove them")})
}
