package containerdrt

import (
	"context"
	"fmt"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
)

// UnknownExitCode is the exit code reported for a task that containerd no longer knows
// when lsctl looks for it again after losing its wait (it was deleted while nobody
// watched): containerd's own UnknownExitStatus.
const UnknownExitCode = int(containerd.UnknownExitStatus)

// The backoff of re-establishing a broken exit wait: a restarted containerd answers
// within about a second, and an exit that happened meanwhile must be seen soon after.
const (
	rewaitFirst = 100 * time.Millisecond
	rewaitMax   = time.Second
)

// watchExit subscribes to the task's exit before it starts, so no exit is missed.
func (ct *container) watchExit(ctx context.Context) error {
	ch, err := ct.task.Wait(context.WithoutCancel(ctx))
	if err != nil {
		return ct.c.wrapUnavailable(fmt.Errorf("wait for container %s: %w", ct.ID(), err))
	}
	ct.exited = ct.c.deliverExit(ctx, ct.cont, ch)
	return nil
}

// Watch watches container id's task again, for a caller whose Exited channel closed
// without a status: the channel delivers the exit once, then is closed. A task that
// already stopped delivers its recorded exit at once; a container or task containerd
// no longer knows delivers UnknownExitCode. The watch survives daemon restarts until
// ctx ends.
func (c *Client) Watch(ctx context.Context, id string) (<-chan ExitStatus, error) {
	task, cont, err := c.loadTask(ctx, id)
	if err != nil {
		return nil, err
	}
	if task == nil {
		return exitedUnknown(), nil
	}
	ch, err := task.Wait(context.WithoutCancel(ctx))
	if err != nil {
		return nil, c.wrapUnavailable(fmt.Errorf("wait for container %s: %w", id, err))
	}
	return c.deliverExit(ctx, cont, ch), nil
}

// exitedUnknown is an Exited channel for a task that is gone.
func exitedUnknown() <-chan ExitStatus {
	ch := make(chan ExitStatus, 1)
	ch <- ExitStatus{Code: UnknownExitCode, At: time.Now()}
	close(ch)
	return ch
}

// deliverExit returns a channel that delivers the exit reported on the wait ch, then
// is closed; it closes without a value only when the wait broke and ctx ended before
// it could be re-established.
func (c *Client) deliverExit(ctx context.Context, cont containerd.Container, ch <-chan containerd.ExitStatus) <-chan ExitStatus {
	out := make(chan ExitStatus, 1)
	go func() {
		defer close(out)
		if st, ok := c.awaitExit(ctx, cont, ch); ok {
			out <- st
		}
	}()
	return out
}

// awaitExit waits for the exit on ch. A wait that ends with an error instead broke with
// the connection (containerd stopped or restarted): a restarted containerd reloads its
// tasks from their shims, and a task that exited meanwhile reports its exit status to
// a new wait, so the wait is re-established until ctx ends.
func (c *Client) awaitExit(ctx context.Context, cont containerd.Container, ch <-chan containerd.ExitStatus) (ExitStatus, bool) {
	for {
		st := <-ch
		err := st.Error()
		switch {
		case err == nil:
			return ExitStatus{Code: int(st.ExitCode()), At: st.ExitTime()}, true
		case errdefs.IsNotFound(errgrpc.ToNative(err)):
			return ExitStatus{Code: UnknownExitCode, At: time.Now()}, true
		}
		next, err := c.rewait(ctx, cont)
		if err != nil {
			return ExitStatus{}, false
		}
		if next == nil {
			return ExitStatus{Code: UnknownExitCode, At: time.Now()}, true
		}
		ch = next
	}
}

// rewait loads the container's task again and waits on it, retrying with backoff while
// containerd does not answer. It returns nil when the task is gone, and an error only
// when ctx ends.
func (c *Client) rewait(ctx context.Context, cont containerd.Container) (<-chan containerd.ExitStatus, error) {
	delay := rewaitFirst
	for {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, rewaitMax)
		c.reconnectNow()
		task, err := cont.Task(ctx, nil)
		if errdefs.IsNotFound(err) {
			return nil, nil
		}
		if err == nil {
			return task.Wait(context.WithoutCancel(ctx))
		}
	}
}
