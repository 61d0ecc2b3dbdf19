package containerdrt

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"
)

// TeardownMargin is how much longer than the grace period in force one teardown step
// (listing what to remove, stopping and removing one container, killing a task,
// removing the network) may take before lsctl gives up on it. A stop legitimately
// lasts up to grace + 10 s (the wait after SIGKILL); the rest covers a slow but
// answering containerd. Only a containerd that does not answer at all runs into the
// deadline, and since every removal is idempotent the next `lsctl down` finishes the
// job.
const TeardownMargin = 30 * time.Second

// TeardownTimeout is the deadline of one teardown step under grace.
func TeardownTimeout(grace time.Duration) time.Duration { return grace + TeardownMargin }

// TeardownError is a teardown step cut short by its deadline. It matches
// context.DeadlineExceeded with errors.Is, and ErrUnavailable when the silent peer
// is containerd.
type TeardownError struct {
	// Op is what could not be done, as a verb phrase:
	// `remove container shop_db of resource "db"`.
	Op string
	// Peer is who did not answer; empty means containerd.
	Peer string
	// After is how long lsctl waited.
	After time.Duration
}

func (e *TeardownError) Error() string {
	return fmt.Sprintf("could not %s: deadline exceeded: %s did not answer in %s",
		e.Op, cmp.Or(e.Peer, "containerd"), e.After)
}

// errNoAnswer is why a containerd step ran into its deadline.
var errNoAnswer = fmt.Errorf("%w: %w", ErrUnavailable, context.DeadlineExceeded)

// Unwrap returns a single error, so that callers printing joined errors one per line
// print this one whole.
func (e *TeardownError) Unwrap() error {
	if e.Peer == "" {
		return errNoAnswer
	}
	return context.DeadlineExceeded
}

// Teardown runs step with a deadline of timeout from now; ctx's own deadline and
// cancellation still apply. step must honour its context. When the deadline expires
// before step succeeds, its error is replaced by a *TeardownError naming op (the
// underlying gRPC or CNI error only says "context deadline exceeded"); other errors
// are returned as they are.
func Teardown(ctx context.Context, timeout time.Duration, op string, step func(context.Context) error) error {
	start := time.Now()
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := step(dctx)
	if err == nil || !errors.Is(dctx.Err(), context.DeadlineExceeded) {
		return err
	}
	after := timeout
	if ctx.Err() != nil { // the caller's own, earlier deadline
		after = roundWait(time.Since(start))
	}
	return &TeardownError{Op: op, After: after}
}

// TeardownNetworkWithin removes the project network (rt.TeardownNetwork) within
// timeout. The network is lsctl's own (CNI, netlink, iptables): when it runs into the
// deadline, the error names those rather than containerd.
func TeardownNetworkWithin(ctx context.Context, rt interface {
	TeardownNetwork(ctx context.Context, project string) error
}, project string, timeout time.Duration) error {
	err := Teardown(ctx, timeout, fmt.Sprintf("remove the network of project %q", project),
		func(ctx context.Context) error { return rt.TeardownNetwork(ctx, project) })
	var te *TeardownError
	if errors.As(err, &te) {
		te.Peer = "iptables or netlink"
	}
	return err
}

// roundWait rounds a wait to whole seconds, or to milliseconds below one second.
func roundWait(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}
