package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/containerd/containerd/api/services/tasks/v1"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
)

// docs/spec/runtime.md §12.3, §12.8: a Prepare whose context is cancelled part-way (SIGINT during
// startup) either returns a container or leaves nothing behind: no container record,
// task, snapshot or pinned network namespace. A request the client gave up on may still
// complete in the daemon (containerd 1.6 finishes a task create the client cancelled),
// so the cleanup must not rely on what the client saw. The delays sweep the whole
// create, from before the snapshot to after the task.
func TestRuntimePrepareCancelledLeavesNothing(t *testing.T) {
	e := newRTEnv(t)
	p := e.newRTProject(t, "rtcancel", map[string][]string{"web": {"sleep", "3600"}})
	s := p.spec("web")
	for _, delay := range []time.Duration{0, 2, 5, 10, 20, 30, 45, 60, 80, 100, 130, 160, 200, 250, 320} {
		t.Run(fmt.Sprintf("%dms", delay), func(t *testing.T) {
			ctx, cancel := context.WithCancel(e.ctx)
			timer := time.AfterFunc(delay*time.Millisecond, cancel)
			ctr, err := e.c.Prepare(ctx, s)
			timer.Stop()
			cancel()
			if err == nil {
				// Prepare won the race: the container is real and Remove takes it away.
				if err := e.c.Remove(e.ctx, ctr.ID()); err != nil {
					t.Fatalf("Remove after a completed Prepare: %v", err)
				}
			}
			assertNothingLeft(t, e, s.ID, err)
		})
	}
}

// assertNothingLeft fails when anything of container id remains in containerd or on
// the host; prepareErr is what Prepare returned, for the message.
func assertNothingLeft(t *testing.T, e *rtEnv, id string, prepareErr error) {
	t.Helper()
	if _, err := e.raw.LoadContainer(e.ctx, id); !errdefs.IsNotFound(err) {
		t.Errorf("container %s still exists (Prepare: %v; load: %v)", id, prepareErr, err)
	}
	if _, err := e.raw.SnapshotService("overlayfs").Stat(e.ctx, id); !errdefs.IsNotFound(err) {
		t.Errorf("snapshot %s still exists (Prepare: %v; stat: %v)", id, prepareErr, err)
	}
	resp, err := e.raw.TaskService().Get(e.ctx, &tasks.GetRequest{ContainerID: id})
	if err == nil {
		t.Errorf("task %s still exists, pid %d (Prepare: %v)", id, resp.GetProcess().GetPid(), prepareErr)
	} else if !errdefs.IsNotFound(errgrpc.ToNative(err)) {
		t.Errorf("get task %s: %v", id, err)
	}
	pin := filepath.Join("/run/lsctl/netns", rtNamespace, id)
	if _, err := os.Stat(pin); err == nil {
		t.Errorf("network namespace pin %s still exists (Prepare: %v)", pin, prepareErr)
	}
}
