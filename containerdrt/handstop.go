package containerdrt

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/errdefs"

	"github.com/lightshuttle/lsctl/containerdrt/logfile"
	"github.com/lightshuttle/lsctl/plan"
)

// StopByHand stops the task as Stop does (the image's stop signal, grace, then
// SIGKILL) but keeps the container, labelled as stopped by hand, so that the next
// Prepare gives it a fresh task instead of recreating it (`lsctl stop`). The label is
// written first: whoever sees the task end also sees why.
func (c *Client) StopByHand(ctx context.Context, id string, grace time.Duration) (int, error) {
	cont, err := c.cd.LoadContainer(ctx, id)
	if errdefs.IsNotFound(err) {
		return 0, fmt.Errorf("stop container %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return 0, c.wrapUnavailable(fmt.Errorf("stop container %s: %w", id, err))
	}
	if err := c.setStopped(ctx, cont, logfile.FormatTS(time.Now())); err != nil {
		return 0, fmt.Errorf("stop container %s: %w", id, err)
	}
	return c.Stop(ctx, id, "", grace)
}

// Signal sends sig to the container's task (`lsctl kill`). handled reports whether
// the task's PID 1 can act on it: the kernel drops a signal that PID 1 has no handler
// for, SIGKILL and SIGSTOP aside (docs/spec/runtime.md §12.7).
func (c *Client) Signal(ctx context.Context, id string, sig syscall.Signal) (handled bool, err error) {
	task, _, err := c.loadTask(ctx, id)
	if err != nil {
		return false, err
	}
	if task == nil {
		return false, fmt.Errorf("signal container %s: no task: %w", id, ErrNotFound)
	}
	handled = sig == syscall.SIGKILL || sig == syscall.SIGSTOP || signalCaught(task.Pid(), sig)
	if err := task.Kill(ctx, sig); err != nil {
		if errdefs.IsNotFound(err) {
			return false, fmt.Errorf("signal container %s: %w", id, ErrNotFound)
		}
		return false, c.wrapUnavailable(fmt.Errorf("signal container %s: %w", id, err))
	}
	return handled, nil
}

// KillByHand sends sig as Signal does, for `lsctl kill` when no owner runs: a task
// that ends within grace after the signal counts as stopped by hand, as the owner
// counts it (docs/spec/runtime.md §16.13), so the container keeps the stopped label that the
// next Prepare and ps read. The label is written before the signal, as StopByHand
// does, and taken back when the task outlives the grace (a HUP that reloads) or PID 1
// drops the signal.
func (c *Client) KillByHand(ctx context.Context, id string, sig syscall.Signal, grace time.Duration) (handled bool, err error) {
	task, cont, err := c.loadTask(ctx, id)
	if err != nil {
		return false, err
	}
	if task == nil {
		return false, fmt.Errorf("signal container %s: no task: %w", id, ErrNotFound)
	}
	if sig == syscall.SIGSTOP || sig == syscall.SIGCONT || !(sig == syscall.SIGKILL || signalCaught(task.Pid(), sig)) {
		return c.Signal(ctx, id, sig) // pauses, resumes or is dropped: nothing ends
	}
	exited, err := task.Wait(ctx)
	if err != nil {
		return false, c.wrapUnavailable(fmt.Errorf("signal container %s: %w", id, err))
	}
	if err := c.setStopped(ctx, cont, logfile.FormatTS(time.Now())); err != nil {
		return false, err
	}
	if handled, err = c.Signal(ctx, id, sig); err != nil {
		_ = c.setStopped(context.WithoutCancel(ctx), cont, "")
		return false, err
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-exited:
		return handled, nil
	case <-timer.C:
	case <-ctx.Done():
	}
	return handled, c.setStopped(context.WithoutCancel(ctx), cont, "")
}

// MarkStoppedByHand labels the container stopped by hand after a kill by hand ended
// its task under an owner, as KillByHand does without one.
func (c *Client) MarkStoppedByHand(ctx context.Context, id string) error {
	cont, err := c.cd.LoadContainer(ctx, id)
	if errdefs.IsNotFound(err) {
		return fmt.Errorf("label container %s stopped: %w", id, ErrNotFound)
	}
	if err != nil {
		return c.wrapUnavailable(fmt.Errorf("label container %s stopped: %w", id, err))
	}
	return c.setStopped(ctx, cont, logfile.FormatTS(time.Now()))
}

// setStopped writes the stopped-by-hand label of cont; "" clears it.
func (c *Client) setStopped(ctx context.Context, cont containerd.Container, ts string) error {
	if _, err := cont.SetLabels(ctx, map[string]string{plan.LabelStopped: ts}); err != nil {
		return c.wrapUnavailable(fmt.Errorf("label container %s stopped: %w", cont.ID(), err))
	}
	return nil
}

// revive gives a container stopped by hand, whose task has ended, a fresh task. Its snapshot, pinned network
// namespace and CNI attachment were kept, so this is much quicker than creating it
// again. It returns nil (and no error) when the container cannot be revived, e.g. its
// namespace pin went with a reboot; the caller then recreates it.
func (c *Client) revive(ctx context.Context, cont containerd.Container, s *plan.ContainerSpec, labels map[string]string) (*container, error) {
	if _, err := os.Stat(c.netnsPath(s.ID)); err != nil {
		return nil, nil
	}
	if task, err := cont.Task(ctx, nil); err == nil {
		if st, err := task.Status(ctx); err != nil || st.Status != containerd.Stopped {
			return nil, nil // its stop was interrupted: replaced after the grace, not revived
		}
	}
	spec, err := cont.Spec(ctx)
	if err != nil || spec.Process == nil {
		return nil, nil
	}
	ports, err := c.labelPorts(labels)
	if err != nil {
		return nil, err
	}
	if err := deleteTask(ctx, cont); err != nil {
		return nil, fmt.Errorf("revive container %s: %w", s.ID, err)
	}
	sctx, cancel := settled(ctx)
	defer cancel()
	task, err := cont.NewTask(sctx, cio.LogURI(c.logURI(s)))
	if err != nil {
		return nil, c.wrapUnavailable(fmt.Errorf("revive container %s: create task: %w", s.ID, err))
	}
	ct := &container{c: c, cont: cont, task: task, ip: labels[plan.LabelIP], ports: ports}
	if err := ct.watchExit(ctx); err != nil {
		_, _ = task.Delete(context.WithoutCancel(ctx), containerd.WithProcessKill)
		return nil, err
	}
	if _, err := cont.SetLabels(sctx, map[string]string{plan.LabelStopped: "", plan.LabelStopping: ""}); err != nil {
		_, _ = task.Delete(context.WithoutCancel(ctx), containerd.WithProcessKill)
		return nil, c.wrapUnavailable(fmt.Errorf("revive container %s: clear its stopped label: %w", s.ID, err))
	}
	c.execTargets.put(s.ID, &execTarget{task: task, proc: spec.Process})
	return ct, nil
}
