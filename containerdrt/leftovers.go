package containerdrt

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/containerd/api/services/tasks/v1"
	apitask "github.com/containerd/containerd/api/types/task"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lightshuttle/lsctl/plan"
)

// orphanKillWait bounds the wait for an orphaned task to die after SIGKILL.
const orphanKillWait = 10 * time.Second

// RemoveLeftovers removes what a crash of containerd or of lsctl in the middle of a
// create leaves for a project: tasks whose container record is gone (their shims keep
// running, and the next create of the same container fails with "already exists"),
// with their network attachment, and lsctl's leases. It returns the IDs of the tasks
// it removed; running containers of the project are not touched.
func (c *Client) RemoveLeftovers(ctx context.Context, project string) ([]string, error) {
	states, err := c.taskStates(ctx)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for id := range states {
		if !strings.HasPrefix(id, project+"_") { // container IDs are <project>_<resource>; project names have no "_"
			continue
		}
		if _, err := c.cd.LoadContainer(ctx, id); !errdefs.IsNotFound(err) {
			continue // a container of the project (or an error: leave it alone)
		}
		if err := c.removeTaskWithoutContainer(ctx, project, id); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, id)
	}
	if err := c.undoIntents(ctx, project); err != nil {
		errs = append(errs, err)
	}
	if err := c.RemoveLeases(ctx, project); err != nil {
		errs = append(errs, err)
	}
	return removed, errors.Join(errs...)
}

// removeTaskWithoutContainer removes a task whose container record is gone. The task
// service reaches a task only through its container, so a placeholder record of the
// same id (labelled with the project, so that a crash now leaves something down
// lists) stands in while the task is killed and deleted. containerd 1.6 refuses a
// container without a spec; an empty one does, since the shim never reads it again.
func (c *Client) removeTaskWithoutContainer(ctx context.Context, project, id string) error {
	_, err := c.cd.NewContainer(ctx, id, containerd.WithRuntime(runcRuntime, nil),
		containerd.WithSpec(&specs.Spec{Version: specs.Version}),
		containerd.WithContainerLabels(map[string]string{plan.LabelProject: project}))
	if err != nil && !errdefs.IsAlreadyExists(err) {
		return c.wrapUnavailable(fmt.Errorf("reach task %s left without its container: %w", id, err))
	}
	if err := c.removeOrphanTask(ctx, id); err != nil {
		return err
	}
	if err := c.cd.ContainerService().Delete(ctx, id); err != nil && !errdefs.IsNotFound(err) {
		return c.wrapUnavailable(fmt.Errorf("delete placeholder container %s: %w", id, err))
	}
	return c.detachNetwork(ctx, id)
}

// removeOrphanTask kills and deletes, through the task service, a task that a fresh
// container record of the same id now reaches. Its network attachment is the
// caller's: a create of the same id has just made a new one.
func (c *Client) removeOrphanTask(ctx context.Context, id string) error {
	svc := c.cd.TaskService()
	_, err := svc.Kill(ctx, &tasks.KillRequest{ContainerID: id, Signal: uint32(syscall.SIGKILL), All: true})
	if err != nil && !errdefs.IsNotFound(errgrpc.ToNative(err)) {
		return c.wrapUnavailable(fmt.Errorf("kill task %s left without its container: %w", id, errgrpc.ToNative(err)))
	}
	deadline := time.Now().Add(orphanKillWait)
	for {
		resp, err := svc.Get(ctx, &tasks.GetRequest{ContainerID: id})
		if errdefs.IsNotFound(errgrpc.ToNative(err)) {
			return nil
		}
		if err == nil && resp.Process.Status == apitask.Status_STOPPED {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("task %s left without its container is still running %s after SIGKILL", id, orphanKillWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond): // the task service has no wait for a task without container
		}
	}
	if _, err := svc.Delete(ctx, &tasks.DeleteTaskRequest{ContainerID: id}); err != nil && !errdefs.IsNotFound(errgrpc.ToNative(err)) {
		return c.wrapUnavailable(fmt.Errorf("delete task %s left without its container: %w", id, errgrpc.ToNative(err)))
	}
	return nil
}

// undoIntents undoes the interrupted network connects of the project's containers
// that no longer exist (an up killed during a CNI ADD).
func (c *Client) undoIntents(ctx context.Context, project string) error {
	intents, _ := filepath.Glob(filepath.Join(c.cniCacheDir(), intentFilePrefix+project+"_*.json"))
	var errs []error
	for _, path := range intents {
		id := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), intentFilePrefix), ".json")
		if _, err := c.cd.LoadContainer(ctx, id); !errdefs.IsNotFound(err) {
			continue // its container exists: its own removal detaches it
		}
		if err := c.undoIntent(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
