package containerdrt

import (
	"context"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/probe"
	"github.com/lightshuttle/lsctl/plan"
)

// Probe runs a native healthcheck against ip from the host (docs/spec/runtime.md §11.1):
// no exec, no process. The result reads like an exec probe's: exit code 0 passes, 1
// fails, and Output says why. It returns an error only when ctx ends.
func (c *Client) Probe(ctx context.Context, ip string, p plan.NativeProbe, timeout time.Duration) (ExecResult, error) {
	return NativeProbe(ctx, ip, p, timeout)
}

// NativeProbe is Probe without a client, for callers that hold none.
func NativeProbe(ctx context.Context, ip string, p plan.NativeProbe, timeout time.Duration) (ExecResult, error) {
	r := probe.Run(ctx, ip, p, timeout)
	if err := ctx.Err(); err != nil {
		return ExecResult{}, err
	}
	res := ExecResult{Output: r.Detail, TimedOut: r.TimedOut}
	if !r.OK {
		res.ExitCode = 1
	}
	if r.TimedOut {
		res.ExitCode = -1
	}
	return res, nil
}
