package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/containerdrt/logdriver"
)

// runtimeOptions are the containerd options of the global flags (docs/spec/runtime.md §1.1).
func (s *session) runtimeOptions(pull containerdrt.PullPolicy, build bool) containerdrt.Options {
	return containerdrt.Options{
		Address:         s.opts.Address,
		Namespace:       s.opts.Namespace,
		Snapshotter:     s.opts.Snapshotter,
		DataRoot:        s.opts.DataRoot,
		CNIPath:         s.opts.CNIPath,
		SubnetPool:      s.opts.SubnetPool,
		BuildkitAddress: s.opts.BuildkitAddress,
		LogDriver:       s.logDriver().Path,
		Pull:            pull,
		Build:           build,
		Version:         buildVersion(),
	}
}

// ensureDataRoot creates the data root, or tightens a loose one and says so, before
// a command writes to it (issue 12: other users must not read or plant state there).
func (s *session) ensureDataRoot() error {
	tightened, err := containerdrt.EnsureDataRoot(s.opts.DataRoot)
	if tightened {
		fmt.Fprintf(s.stderr, "warning: data root %s was open to other users; its mode is now 0700\n", s.opts.DataRoot)
	}
	return err
}

// logDriver is the log driver that containers started now will use.
func (s *session) logDriver() containerdrt.LogDriverChoice {
	explicit, _ := s.lookupEnv("LSCTL_LOG_DRIVER")
	return containerdrt.FindLogDriver(explicit)
}

// connect reaches containerd; its error already reads
// `cannot connect to containerd at <address>: <cause>`.
func (s *session) connect(ctx context.Context, pull containerdrt.PullPolicy, build bool) (*containerdrt.Client, error) {
	return containerdrt.Connect(ctx, s.runtimeOptions(pull, build))
}

// containerdVersion is the daemon version for `lsctl version`, or why it is unreachable.
func (s *session) containerdVersion(ctx context.Context) (string, error) {
	c, err := s.connect(ctx, containerdrt.PullMissing, false)
	if err != nil {
		return "", unreachableCause(err)
	}
	defer c.Close()
	return c.Version(ctx)
}

// unreachableCause strips the "cannot connect to containerd at <address>: " prefix,
// which the version line already spells out, and keeps the first line of the cause.
func unreachableCause(err error) error {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, "cannot connect to containerd at "); ok {
		if _, cause, ok := strings.Cut(rest, ": "); ok {
			msg = cause
		}
	}
	first, _, _ := strings.Cut(msg, "\n")
	return fmt.Errorf("%s", first)
}

// runLogDriver runs the binary log driver when Run is called with __log-driver.
func runLogDriver(args []string) int { return logdriver.Run(args) }
