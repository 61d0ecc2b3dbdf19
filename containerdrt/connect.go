package containerdrt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	clog "github.com/containerd/log"

	"github.com/lightshuttle/lsctl/plan"
)

// Defaults of docs/spec/runtime.md §1.1; the CLI's flags show and use these.
const (
	DefaultAddress     = "/run/containerd/containerd.sock"
	DefaultNamespace   = "lightshuttle"
	DefaultSnapshotter = "overlayfs"
	DefaultDataRoot    = plan.DefaultDataRoot // the plan names paths below it
	DefaultSubnetPool  = "10.213.0.0/16"
	// dialTimeout bounds the connection check: a local socket answers at once or never.
	dialTimeout = 3 * time.Second
)

// withDefaults fills the zero fields of o.
func withDefaults(o Options) Options {
	o.Address = strings.TrimPrefix(o.Address, "unix://")
	if o.Address == "" {
		o.Address = DefaultAddress
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Snapshotter == "" {
		o.Snapshotter = DefaultSnapshotter
	}
	if o.DataRoot == "" {
		o.DataRoot = DefaultDataRoot
	}
	if o.SubnetPool == "" {
		o.SubnetPool = DefaultSubnetPool
	}
	if o.Pull == "" {
		o.Pull = PullMissing
	}
	if o.LogDriver == "" {
		o.LogDriver = FindLogDriver(os.Getenv("LSCTL_LOG_DRIVER")).Path
	}
	return o
}

// Connect connects to containerd with o (zero fields take their defaults) and checks
// that the daemon answers. An unreachable daemon gives
// `cannot connect to containerd at <address>: <cause>`, wrapping ErrUnavailable.
func Connect(ctx context.Context, o Options) (*Client, error) {
	quietClientLog.Do(quietContainerdLog)
	o = withDefaults(o)
	// A plain dial first: gRPC dials lazily and its errors are long-winded.
	if err := dialSocket(ctx, o.Address, dialTimeout); err != nil {
		return nil, err
	}
	cd, err := containerd.New(o.Address,
		containerd.WithDefaultNamespace(o.Namespace),
		containerd.WithTimeout(dialTimeout))
	if err != nil {
		return nil, unreachable(o.Address, err)
	}
	c := &Client{cd: cd, opts: o}
	vctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	if _, err := c.Version(vctx); err != nil {
		cd.Close()
		return nil, unreachable(o.Address, err)
	}
	return c, nil
}

// dialSocket checks that something accepts connections on the unix socket address.
func dialSocket(ctx context.Context, address string, timeout time.Duration) error {
	conn, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, "unix", address)
	if err != nil {
		return unreachable(address, dialCause(err))
	}
	return conn.Close()
}

// unreachable is the error of a daemon that does not answer at address.
func unreachable(address string, cause error) error {
	return &UnavailableError{Address: address, Cause: cause}
}

var quietClientLog sync.Once

// quietContainerdLog keeps the containerd client library's own logging (info lines
// such as "fetch failed after status: 404") off lsctl's stderr unless LSCTL_LOG asks
// for debug or info.
func quietContainerdLog() {
	switch os.Getenv("LSCTL_LOG") {
	case "debug", "info":
		return
	}
	_ = clog.SetLevel("warn")
}

// UnavailableError is a containerd that did not answer at Address. It reads
// `cannot connect to containerd at <address>: <cause>` and matches both its cause and
// ErrUnavailable, so that callers explain it with errors.As instead of parsing text.
type UnavailableError struct {
	Address string
	Cause   error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("cannot connect to containerd at %s: %v", e.Address, e.Cause)
}

func (e *UnavailableError) Unwrap() []error { return []error{e.Cause, ErrUnavailable} }

// dialCause reduces a dial error to its system cause ("no such file or directory").
func dialCause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		var se *os.SyscallError
		if errors.As(op.Err, &se) {
			return se.Err
		}
		return op.Err
	}
	return err
}

// Version returns the daemon's version string.
func (c *Client) Version(ctx context.Context) (string, error) {
	v, err := c.cd.Version(ctx)
	if err != nil {
		return "", fmt.Errorf("containerd version: %w", err)
	}
	return v.Version, nil
}

// Close releases the connection.
func (c *Client) Close() error {
	return c.cd.Close()
}

// Options returns the effective options (defaults filled in).
func (c *Client) Options() Options { return c.opts }
