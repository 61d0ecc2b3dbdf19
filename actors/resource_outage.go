package actors

import (
	"errors"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// rewatchRetry spaces the attempts to watch a task again while the runtime cannot.
const rewatchRetry = time.Second

// observed reports whether m is an exit of the current incarnation's task. An Exited
// channel that closed without a status means that the watch was lost, not the task:
// rather than going deaf, the resource logs it and has the runtime watch the task
// again, which reconciles with containerd's actual task state (a task that ended
// meanwhile reports its exit, or UnknownExitCode when containerd no longer knows it;
// a running one is simply watched again).
func (a *resource) observed(m exited) bool {
	if !a.current(m) {
		return false
	}
	if !m.ok {
		a.o.Logger.Warn("lost the exit watch of a container; watching it again",
			"resource", a.node.Name, "container", a.container.ID())
		// A watch lost again at once must not turn into a busy loop.
		if a.health.lostWatches++; a.health.lostWatches == 1 {
			a.rewatch()
		} else {
			a.after(a.ctx, rewatchRetry, tickRewatch, 0)
		}
	}
	return m.ok
}

// rewatch asks the runtime for a new watch of the task's exit.
func (a *resource) rewatch() {
	gen, ctx, id := a.gen, a.ctx, a.container.ID()
	a.run(func() opResult {
		ch, err := a.rt.Watch(ctx, id)
		return rewatched{opBase{gen}, ch, err}
	})
}

// onRewatched watches the new channel, or tries again while containerd does not answer.
func (a *resource) onRewatched(m rewatched) {
	if !a.current(m) {
		return
	}
	if m.err != nil {
		a.o.Logger.Warn("cannot watch a container's exit yet; trying again",
			"resource", a.node.Name, "error", a.o.Redact(m.err.Error()))
		a.after(a.ctx, rewatchRetry, tickRewatch, 0)
		return
	}
	a.watch(m.ch)
}

// unreachable reports a probe that failed because containerd did not answer. That is
// not the container's fault: such a probe neither counts nor passes, so the health
// state holds (a healthy container is not declared unhealthy, nor a starting one
// failed early) until containerd answers again. The change is logged once each way.
func (a *resource) unreachable(m probeDone) bool {
	down := errors.Is(m.err, containerdrt.ErrUnavailable)
	if down != a.health.unreachable {
		a.health.unreachable = down
		if down {
			a.o.Logger.Warn("containerd unavailable: the health state holds until it answers",
				"resource", a.node.Name, "error", a.o.Redact(m.err.Error()))
		} else {
			a.o.Logger.Info("containerd answers again: probes count again", "resource", a.node.Name)
		}
	}
	if down {
		a.health.last = "containerd unavailable"
	}
	return down
}
