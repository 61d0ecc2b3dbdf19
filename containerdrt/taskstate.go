package containerdrt

import (
	"context"
	"strings"
	"time"

	"github.com/containerd/containerd/api/services/tasks/v1"
	apitask "github.com/containerd/containerd/api/types/task"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
)

// taskStateTimeout bounds TaskState: it describes a wait, so it must not become one.
// It is longer than containerd's own 2 s wait for a shim's state, after which
// containerd answers UNKNOWN.
const taskStateTimeout = 3 * time.Second

// TaskState describes container id's task as containerd reports it now, for the line
// that says what a slow step is waiting for (docs/spec/runtime.md §12.2).
func (c *Client) TaskState(ctx context.Context, id string) string {
	ctx, cancel := context.WithTimeout(ctx, taskStateTimeout)
	defer cancel()
	resp, err := c.cd.TaskService().Get(ctx, &tasks.GetRequest{ContainerID: id})
	err = errgrpc.ToNative(err)
	const silent = "UNKNOWN (its shim does not answer containerd)"
	switch {
	case err == nil:
	case errdefs.IsNotFound(err):
		return "no task yet"
	case ctx.Err() != nil:
		return "containerd does not answer"
	case shimSilent(ctx, err): // containerd 2.x: its own deadline for the shim's answer
		return silent
	default:
		return "containerd cannot say: " + err.Error()
	}
	if resp.Process.Status == apitask.Status_UNKNOWN { // containerd 1.6
		return silent
	}
	return strings.ToLower(resp.Process.Status.String())
}
