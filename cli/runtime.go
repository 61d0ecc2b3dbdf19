package cli

import (
	"context"
	"errors"
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
		Logger:          s.log,
		PluginOutput:    s.stderr,
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

// unreachableCause is the cause of an unreachable containerd without the address,
// which the version line already spells out, cut to its first line.
func unreachableCause(err error) error {
	var ue *containerdrt.UnavailableError
	if errors.As(err, &ue) && ue.Cause != nil {
		err = ue.Cause
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	return errors.New(first)
}

// runLogDriver runs the binary log driver when Run is called with __log-driver.
func runLogDriver(args []string) int { return logdriver.Run(args) }
