package fakert

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// StopByHand is Stop, and it keeps the container: the next Prepare of the resource
// revives it (same serial) instead of creating a new one.
func (r *Runtime) StopByHand(ctx context.Context, id string, grace time.Duration) (int, error) {
	r.record("stop-by-hand", r.resourceOf(id), id)
	c := r.find(id)
	if c == nil {
		return 0, fmt.Errorf("stop %s: %w", id, containerdrt.ErrNotFound)
	}
	c.mu.Lock()
	c.handStopped = true
	c.mu.Unlock()
	return r.Stop(ctx, id, "", grace)
}

// MarkStoppedByHand keeps a container whose task ended: the next Prepare revives it.
func (r *Runtime) MarkStoppedByHand(ctx context.Context, id string) error {
	r.record("mark-stopped", r.resourceOf(id), id)
	c := r.find(id)
	if c == nil {
		return fmt.Errorf("label %s: %w", id, containerdrt.ErrNotFound)
	}
	c.mu.Lock()
	c.handStopped = true
	c.mu.Unlock()
	return nil
}

// Signal ends a running task with 128 + sig for SIGKILL, SIGTERM, SIGINT and SIGQUIT;
// the fake task survives (and handles) any other signal.
func (r *Runtime) Signal(ctx context.Context, id string, sig syscall.Signal) (bool, error) {
	r.record("signal", r.resourceOf(id), id)
	c := r.find(id)
	if c == nil || !c.isRunning() {
		return false, fmt.Errorf("signal %s: no task: %w", id, containerdrt.ErrNotFound)
	}
	switch sig {
	case syscall.SIGKILL, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
		c.exit(128 + int(sig))
	}
	return true, nil
}

// Revived reports how many times Prepare gave a container stopped by hand a new task.
func (r *Runtime) Revived(resource string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.revived[resource]
}
