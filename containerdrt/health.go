package containerdrt

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc"
)

// healthTTL is how long a Health answer is reused: ps may be run in a loop, and its
// verdict must turn within 2 s of containerd's return (issue 11, item 2).
const healthTTL = time.Second

// healthTimeout bounds one health check: a local daemon that answers does so in
// milliseconds, and the ps waiting for the verdict must not hang on one that does not.
const healthTimeout = 500 * time.Millisecond

// healthCache is the last Health answer.
type healthCache struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

// Health reports whether containerd answers now: nil, or an error wrapping
// ErrUnavailable that reads `cannot connect to containerd at <address>: <cause>`. An
// answer is reused for up to a second; concurrent callers share one check.
func (c *Client) Health(ctx context.Context) error {
	h := &c.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.at.IsZero() && time.Since(h.at) < healthTTL {
		return h.err
	}
	// The verdict is shared: a caller that gives up must not make it an error.
	h.err, h.at = c.checkHealth(context.WithoutCancel(ctx)), time.Now()
	return h.err
}

// checkHealth dials the socket, then asks for the daemon's version.
func (c *Client) checkHealth(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	if err := dialSocket(ctx, c.opts.Address, healthTimeout); err != nil {
		return err
	}
	c.reconnectNow()
	if _, err := c.Version(ctx); err != nil {
		return unreachable(c.opts.Address, err)
	}
	return nil
}

// reconnectNow makes the gRPC connection retry at once instead of after its reconnect
// backoff (up to dialTimeout), so that requests work again as soon as a restarted
// containerd listens.
func (c *Client) reconnectNow() {
	if conn, ok := c.cd.Conn().(*grpc.ClientConn); ok {
		conn.ResetConnectBackoff()
	}
}
