package containerdrt

import (
	"context"
	"errors"
	"fmt"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
)

// shimPatience is how long a create or a stop keeps asking about a task whose shim
// does not answer containerd. containerd gives up on each question after 2 s: 2.x
// answers DeadlineExceeded, 1.6 the status UNKNOWN. A shim that is stopped, starved
// or stuck on a dead lsctl's probe answers again later; meanwhile the resource says
// what it waits for (docs/spec/runtime.md §12.2).
const shimPatience = time.Minute

// shimRetry is the pause between two questions to a silent shim: it has no event.
const shimRetry = 500 * time.Millisecond

// loadTaskPatiently is loadTask that asks again while the task's shim does not answer
// containerd, for up to shimPatience.
func (c *Client) loadTaskPatiently(ctx context.Context, id string) (containerd.Task, containerd.Container, error) {
	deadline := time.Now().Add(shimPatience)
	for {
		task, cont, err := c.loadTask(ctx, id)
		if !shimSilent(ctx, err) {
			return task, cont, err
		}
		if time.Now().After(deadline) {
			return nil, cont, fmt.Errorf("the shim of task %s has not answered containerd for %s (is it stopped or starved? "+
				"it is the containerd-shim process whose -id is %s): %w", id, shimPatience, id, err)
		}
		select {
		case <-ctx.Done():
			return nil, cont, err
		case <-time.After(shimRetry):
		}
	}
}

// shimSilent reports an error of containerd's own deadline for a shim's answer, while
// the caller's context is still alive.
func shimSilent(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil &&
		(errdefs.IsDeadlineExceeded(err) || errors.Is(err, context.DeadlineExceeded))
}

// statusPatiently is task.Status that asks again, for up to shimPatience, while the
// shim does not answer: containerd 1.6 then reports the status UNKNOWN.
func statusPatiently(ctx context.Context, task containerd.Task) (containerd.Status, error) {
	deadline := time.Now().Add(shimPatience)
	for {
		st, err := task.Status(ctx)
		if (err == nil && st.Status != containerd.Unknown) || (err != nil && !shimSilent(ctx, err)) ||
			time.Now().After(deadline) {
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(shimRetry):
		}
	}
}
