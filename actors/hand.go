package actors

import (
	"context"
	"fmt"
	"syscall"
	"time"
)

// Requests by hand (`lsctl stop`, `start`, `kill`) to a resource actor.
type (
	// handStop: stop the task, keep the container, and stay stopped: no restart
	// policy brings the resource back, only a start or a restart does.
	handStop struct {
		grace   time.Duration
		release func()
	}
	// handStart: start a stopped, exited or failed resource again.
	handStart struct{ release func() }
	// handKill: a signal is about to be sent by hand; an exit soon after is its doing.
	handKill struct{}
)

// StopResource stops a resource by hand (docs/spec/runtime.md §12.7 for one resource, container
// kept) with grace (0: the stack's). It returns false when the resource is already
// stopped, and ErrUnknownResource, ErrStackStarting, ErrStackStopping or ErrBusy when
// the request is refused. The outcome is resource_stopped (or resource_failed).
func (h *Handle) StopResource(name string, grace time.Duration) (bool, error) {
	if _, err := h.accepting("stop", name); err != nil {
		return false, err
	}
	release, err := h.acquire(name)
	if err != nil {
		return false, fmt.Errorf("stop %q: %w", name, err)
	}
	if v, _ := h.env.views.get(name); v.Status == StatusStopped {
		release()
		return false, nil
	}
	h.system.Root.Send(h.pids[name], handStop{grace: grace, release: release})
	return true, nil
}

// StartResource starts a stopped, exited or failed resource again; it returns false
// when its task already runs or is starting. The outcome is resource_healthy (or
// resource_failed); dependencies are not awaited, the caller orders its requests.
func (h *Handle) StartResource(name string) (bool, error) {
	if _, err := h.accepting("start", name); err != nil {
		return false, err
	}
	release, err := h.acquire(name)
	if err != nil {
		return false, fmt.Errorf("start %q: %w", name, err)
	}
	// Read under the permit: no stop or start of ours can be under way.
	if v, _ := h.env.views.get(name); isRunningStatus(v.Status) || v.Status == StatusStarting {
		release()
		return false, nil
	}
	h.system.Root.Send(h.pids[name], handStart{release: release})
	return true, nil
}

// KillResource sends sig to the resource's task. An exit within the grace period
// that follows counts as a stop by hand: the resource becomes stopped and its restart
// policy leaves it so. handled reports whether PID 1 can act on the signal.
func (h *Handle) KillResource(ctx context.Context, name string, sig syscall.Signal) (handled bool, err error) {
	v, err := h.accepting("kill", name)
	if err != nil {
		return false, err
	}
	if v.ContainerID == nil || !(isRunningStatus(v.Status) || v.Status == StatusStarting) {
		return false, fmt.Errorf("kill %q: %w (status %s)", name, ErrNotRunning, v.Status)
	}
	// Told before the signal is sent, so that the exit finds the actor knowing why.
	h.system.Root.Send(h.pids[name], handKill{})
	handled, err = h.env.rt.Signal(ctx, *v.ContainerID, sig)
	if err != nil {
		return false, fmt.Errorf("kill %q: %w", name, err)
	}
	return handled, nil
}

// isRunningStatus reports whether a status means the task runs and was ready.
func isRunningStatus(s Status) bool {
	return s == StatusRunning || s == StatusHealthy || s == StatusUnhealthy
}
