package containerdrt

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
	"github.com/moby/sys/signal"

	"github.com/lightshuttle/lsctl/plan"
)

// killWait bounds the wait for a task to die after SIGKILL (docs/spec/runtime.md §12.7).
const killWait = 10 * time.Second

// Stop sends the stop signal ("" = the image's, else SIGTERM) to the task, waits up to
// grace, then SIGKILLs it and waits up to 10 s; it returns the exit code (128 + signal
// for signal deaths). When PID 1 does not catch the stop signal, the kernel would drop
// it, so SIGKILL is sent at once (docs/spec/runtime.md §12.7). A missing task or container is not
// an error (exit code 0, or the recorded one).
func (c *Client) Stop(ctx context.Context, id string, sig string, grace time.Duration) (int, error) {
	c.releaseStaleExecs() // leaves nothing of a dead lsctl's probes, and lets a shim waiting on them go on
	task, cont, err := c.loadTaskPatiently(ctx, id)
	if err != nil || task == nil {
		return 0, err
	}
	st, err := statusPatiently(ctx, task)
	if err != nil {
		return 0, ignoreNotFound(err, "stop container "+id)
	}
	if st.Status == containerd.Stopped {
		return int(st.ExitStatus), nil
	}
	waitCh, err := task.Wait(ctx)
	if err != nil {
		return 0, ignoreNotFound(err, "stop container "+id)
	}
	stopSig, err := c.stopSignal(ctx, cont, sig)
	if err != nil {
		return 0, err
	}
	// Marked first, so that an up that finds it before it exits (the stop was
	// interrupted) replaces it instead of adopting a container on its way out.
	if _, err := cont.SetLabels(ctx, map[string]string{plan.LabelStopping: time.Now().UTC().Format(tsFormat)}); err != nil && !errdefs.IsNotFound(err) {
		return 0, c.wrapUnavailable(fmt.Errorf("stop container %s: mark it stopping: %w", id, err))
	}
	if st.Status != containerd.Created && signalCaught(task.Pid(), stopSig) {
		if err := task.Kill(ctx, stopSig); err != nil && !errdefs.IsNotFound(err) {
			return 0, fmt.Errorf("stop container %s: send %v: %w", id, stopSig, err)
		}
		if code, ok := waitExit(ctx, waitCh, grace); ok {
			return code, nil
		}
	}
	if err := task.Kill(ctx, syscall.SIGKILL); err != nil && !errdefs.IsNotFound(err) {
		return 0, fmt.Errorf("stop container %s: send SIGKILL: %w", id, err)
	}
	if code, ok := waitExit(ctx, waitCh, killWait); ok {
		return code, nil
	}
	if ctx.Err() != nil {
		return 0, fmt.Errorf("stop container %s: %w", id, ctx.Err())
	}
	return 0, fmt.Errorf("stop container %s: still running %s after SIGKILL", id, killWait)
}

// waitExit waits up to d for the exit; ok is false on timeout or cancellation.
func waitExit(ctx context.Context, ch <-chan containerd.ExitStatus, d time.Duration) (int, bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case st := <-ch:
		return int(st.ExitCode()), true
	case <-t.C:
	case <-ctx.Done():
	}
	return 0, false
}

// Kill sends SIGKILL to the task at once; a missing task is fine.
func (c *Client) Kill(ctx context.Context, id string) error {
	task, _, err := c.loadTask(ctx, id)
	if err != nil || task == nil {
		return err
	}
	return ignoreNotFound(task.Kill(ctx, syscall.SIGKILL), "kill container "+id)
}

// Remove deletes the task (killing it), the network attachment, the container and its
// snapshot. Every part is optional, so Remove is idempotent. The network is released
// while the task is deleted: the two are independent once Remove is called (the task
// is being destroyed either way), and both wait on other processes (the shim, the CNI
// plugins' iptables commits), so running them side by side shortens every down.
func (c *Client) Remove(ctx context.Context, id string) error {
	c.execTargets.forget(id)
	cont, err := c.cd.LoadContainer(ctx, id)
	if err != nil && !errdefs.IsNotFound(err) {
		return c.wrapUnavailable(fmt.Errorf("remove container %s: %w", id, err))
	}
	detached := make(chan error, 1)
	go func() { detached <- c.detachNetwork(ctx, id) }()
	taskErr := deleteTask(ctx, cont)
	netErr := <-detached
	if taskErr != nil {
		return fmt.Errorf("remove container %s: %w", id, taskErr)
	}
	if netErr != nil {
		return fmt.Errorf("remove container %s: %w", id, netErr)
	}
	if cont != nil {
		if err := cont.Delete(ctx, containerd.WithSnapshotCleanup); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("remove container %s: %w", id, err)
		}
	}
	return nil
}

// deleteTask deletes the container's task, killing it; a missing container or task is
// fine.
func deleteTask(ctx context.Context, cont containerd.Container) error {
	if cont == nil {
		return nil
	}
	task, err := cont.Task(ctx, nil)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load task: %w", err)
	}
	// Usually Stop has ended the task: delete it as it is, and kill it only when it
	// still runs (killing first costs two more requests per container).
	_, err = task.Delete(ctx)
	if errdefs.IsFailedPrecondition(err) {
		_, err = task.Delete(ctx, containerd.WithProcessKill)
	}
	if err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("delete task: %w", err)
	}
	return nil
}

// loadTask returns the container's task, or nil when the container or task is gone.
func (c *Client) loadTask(ctx context.Context, id string) (containerd.Task, containerd.Container, error) {
	cont, err := c.cd.LoadContainer(ctx, id)
	if errdefs.IsNotFound(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, c.wrapUnavailable(fmt.Errorf("load container %s: %w", id, err))
	}
	task, err := cont.Task(ctx, nil)
	if errdefs.IsNotFound(err) {
		return nil, cont, nil
	}
	if err != nil {
		return nil, cont, c.wrapUnavailable(fmt.Errorf("load task of %s: %w", id, err))
	}
	return task, cont, nil
}

// stopSignal parses sig, else the container's recorded image stop signal, else SIGTERM.
func (c *Client) stopSignal(ctx context.Context, cont containerd.Container, sig string) (syscall.Signal, error) {
	if sig == "" {
		// The record LoadContainer fetched holds the label: no second lookup.
		info, err := cont.Info(ctx, containerd.WithoutRefreshedMetadata)
		if err != nil {
			return 0, fmt.Errorf("stop signal of %s: %w", cont.ID(), err)
		}
		label, ok := info.Labels[containerd.StopSignalLabel]
		if !ok {
			return syscall.SIGTERM, nil
		}
		s, err := signal.ParseSignal(label)
		if err != nil {
			return 0, fmt.Errorf("stop signal of %s: label %s=%q: %w", cont.ID(), containerd.StopSignalLabel, label, err)
		}
		return s, nil
	}
	s, err := signal.ParseSignal(sig)
	if err != nil {
		return 0, fmt.Errorf("stop container %s: signal %q: %w", cont.ID(), sig, err)
	}
	return s, nil
}

// runcInitName is the command name of runc's init process before it execs the
// container's program.
const runcInitName = "runc:[2:INIT]"

// signalCaught reports whether pid has a handler for sig, from SigCgt in
// /proc/<pid>/status. When the status cannot be read it answers true, so the normal
// grace period applies. A task stopped right after its start may still be runc's init
// (whose Go runtime catches every signal but drops SIGTERM, and whose program has not
// run yet): that counts as not caught, else the whole grace would be waited out.
func signalCaught(pid uint32, sig syscall.Signal) bool {
	f, err := os.Open("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/status")
	if err != nil {
		return true
	}
	defer f.Close()
	return statusCatches(f, sig)
}

// statusCatches applies signalCaught to the text of a /proc/<pid>/status file.
func statusCatches(status io.Reader, sig syscall.Signal) bool {
	sc := bufio.NewScanner(status)
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "Name:"); ok && strings.TrimSpace(name) == runcInitName {
			return false
		}
		if v, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			return sigInMask(strings.TrimSpace(v), sig)
		}
	}
	return true
}

// sigInMask reports whether the hex signal mask has sig's bit.
func sigInMask(hexMask string, sig syscall.Signal) bool {
	mask, err := strconv.ParseUint(hexMask, 16, 64)
	if err != nil || sig < 1 || sig > 64 {
		return true
	}
	return mask&(1<<(uint(sig)-1)) != 0
}

// ignoreNotFound turns a not-found error into success and wraps others with what.
func ignoreNotFound(err error, what string) error {
	if err == nil || errdefs.IsNotFound(err) {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
