// Package probe runs native healthchecks: from the host, over the project bridge, to a
// container's address, in the service's own protocol (PostgreSQL startup, Redis PING,
// HTTP GET, TCP connect) instead of an exec in the task (docs/spec/runtime.md §11.1).
// A native probe costs a connection, not a runc exec: no process is started anywhere.
package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/lightshuttle/lsctl/plan"
)

// Result is the verdict of one probe. Detail says why it failed (or what passed) for
// last_error; it never holds a password.
type Result struct {
	OK       bool
	Detail   string
	TimedOut bool
}

// Run probes ip with p, bounded by timeout (0: no bound but ctx).
func Run(ctx context.Context, ip string, p plan.NativeProbe, timeout time.Duration) Result {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if net.ParseIP(ip) == nil {
		// Never fall back to the host's own ports: "" would dial localhost.
		return Result{Detail: fmt.Sprintf("no address to probe: the container has no address on the project network (%q)", ip)}
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(int(p.Port)))
	var r Result
	switch p.Protocol {
	case plan.ProbePostgres:
		r = postgres(ctx, addr, p.User, p.Database)
	case plan.ProbeRedis:
		r = redis(ctx, addr, p.Password)
	case plan.ProbeHTTP:
		r = httpGet(ctx, addr, p.Path, p.Status)
	case plan.ProbeTCP:
		r = tcp(ctx, addr)
	default:
		return Result{Detail: fmt.Sprintf("unknown probe protocol %q", p.Protocol)}
	}
	if !r.OK && (r.TimedOut || ctx.Err() != nil) && timeout > 0 {
		return Result{TimedOut: true, Detail: "timed out after " + timeout.String()}
	}
	return r
}

// dial connects to addr with the context's deadline also set on the connection, so
// that every read and write of the exchange is bounded.
func dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	return conn, nil
}

// failure describes a dial or I/O error briefly: "connection refused" rather than the
// whole chain of operations.
func failure(what string, err error) Result {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return Result{Detail: what + ": timed out", TimedOut: true}
	case errors.Is(err, net.ErrClosed):
		return Result{Detail: what + ": connection closed"}
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return Result{Detail: what + ": " + op.Err.Error()}
	}
	return Result{Detail: what + ": " + err.Error()}
}

// tcp passes when a TCP connection to addr is accepted.
func tcp(ctx context.Context, addr string) Result {
	conn, err := dial(ctx, addr)
	if err != nil {
		return failure("connect to "+addr, err)
	}
	conn.Close()
	return Result{OK: true, Detail: addr + " accepts connections"}
}

// shortDeadline sets conn's read deadline d from now, or at ctx's deadline if sooner:
// the goodbye after a verdict must not outlive the probe's timeout.
func shortDeadline(ctx context.Context, conn net.Conn, d time.Duration) {
	dl := time.Now().Add(d)
	if c, ok := ctx.Deadline(); ok && c.Before(dl) {
		dl = c
	}
	_ = conn.SetReadDeadline(dl)
}
