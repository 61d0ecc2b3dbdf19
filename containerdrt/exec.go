package containerdrt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/containerd/api/services/tasks/v1"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lightshuttle/lsctl/plan"
)

// execOutputLimit is how much combined probe output is kept (docs/spec/runtime.md §11.1).
const execOutputLimit = 4 << 10

// execOutputDir holds the FIFOs through which the shim hands lsctl a probe's output.
const execOutputDir = "/run/lsctl/exec"

// execKillWait bounds the wait for a timed-out exec after SIGKILL.
const execKillWait = 5 * time.Second

// execDeleteWait bounds the shim's delete of an exec process, which first waits up to
// 10 s for the process's output to end.
const execDeleteWait = 15 * time.Second

// Exec runs req.Argv in the running task with the container process's user,
// environment (plus req.Env) and working directory, no TTY. A non-zero exit or a
// failure to start the process is a result, not an error (exit code 126, or 127 when
// the executable is missing, with the runtime's message as output); exceeding
// req.Timeout kills the process and sets TimedOut. Output holds at most the first
// 4 KiB of combined stdout and stderr.
func (c *Client) Exec(ctx context.Context, id string, req ExecRequest) (ExecResult, error) {
	if len(req.Argv) == 0 {
		return ExecResult{}, fmt.Errorf("exec in %s: empty command", id)
	}
	target, err := c.execTargets.get(ctx, c, id)
	if err != nil {
		return ExecResult{}, err
	}
	res, err := c.execIn(ctx, target, req)
	if errdefs.IsNotFound(err) {
		// The task this process knew was replaced (another lsctl recreated the
		// container): look it up again once.
		c.execTargets.forget(id)
		if target, err = c.execTargets.get(ctx, c, id); err != nil {
			return ExecResult{}, err
		}
		res, err = c.execIn(ctx, target, req)
	}
	if err != nil {
		return res, c.wrapUnavailable(fmt.Errorf("exec in %s: %w", id, err))
	}
	return res, nil
}

// execIn runs one exec in target's task, capturing its output through FIFOs.
func (c *Client) execIn(ctx context.Context, target *execTarget, req ExecRequest) (ExecResult, error) {
	pspec := *target.proc
	pspec.Args = req.Argv
	pspec.Env = plan.OverrideEnv(pspec.Env, req.Env)
	pspec.Terminal = false

	execID := newExecID()
	out, err := captureOutput(filepath.Join(execOutputDir, c.namespace()), execID, execOutputLimit)
	if err != nil {
		return ExecResult{}, err
	}
	proc, err := target.task.Exec(ctx, execID, &pspec, out.creator)
	if err != nil {
		out.close()
		return ExecResult{}, err
	}
	res, started, runErr := runExec(ctx, proc, req.Timeout)
	// A process seen to end, or never started, is deleted in one call; after anything
	// else (cancelled, lost wait, outlived SIGKILL) the client kills, waits and deletes.
	del := func() error { return c.deleteEnded(ctx, target.task.ID(), proc.ID()) }
	if started && runErr != nil {
		del = func() error { return killDelete(ctx, proc) }
	}
	// A process that never started has its runtime's message as output and no
	// FIFO writer to wait for.
	drained := !started || out.wait(outputDrainWait)
	if res.Output == "" {
		res.Output = out.kept()
	}
	if !drained {
		// A background child of the probe still holds its output, and the shim's
		// delete waits up to 10 s for it: the probe's result must not.
		go func() {
			_ = del()
			out.close()
		}()
		return res, runErr
	}
	delErr := del()
	out.close()
	if runErr != nil {
		return res, runErr
	}
	return res, delErr
}

// deleteEnded deletes an exec process that has ended, or never started, from the
// shim. It is the one DeleteProcess call: the client's Process.Delete would first wait
// for the process, signal it and ask its status, three more round trips through
// containerd and the shim for every probe.
func (c *Client) deleteEnded(ctx context.Context, containerID, execID string) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), execDeleteWait)
	defer cancel()
	_, err := c.cd.TaskService().DeleteProcess(dctx, &tasks.DeleteProcessRequest{ContainerID: containerID, ExecID: execID})
	if err = errgrpc.ToNative(err); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("delete process: %w", err)
	}
	return nil
}

// killDelete kills an exec process, waits for its end and deletes it from the shim.
func killDelete(ctx context.Context, proc containerd.Process) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), execDeleteWait)
	defer cancel()
	if _, err := proc.Delete(dctx, containerd.WithProcessKill); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("delete process: %w", err)
	}
	return nil
}

// execTarget is what an exec needs of a container: its task and process spec.
type execTarget struct {
	task containerd.Task
	proc *specs.Process
}

// execTargetCache keeps each container's exec target, so a probe costs one exec and
// not three lookups first. Prepare records what it created, Remove forgets it, and a
// target whose task is gone is looked up again. While an up supervises a project, its
// containers are replaced only through its own client (the project lock keeps other
// commands out), so a kept process spec cannot go stale.
type execTargetCache struct {
	mu      sync.Mutex
	targets map[string]*execTarget
}

func (tc *execTargetCache) get(ctx context.Context, c *Client, id string) (*execTarget, error) {
	tc.mu.Lock()
	t := tc.targets[id]
	tc.mu.Unlock()
	if t != nil {
		return t, nil
	}
	task, cont, err := c.loadTask(ctx, id)
	if err != nil {
		return nil, err
	}
	if task == nil {
		return nil, fmt.Errorf("exec in %s: container has no running task: %w", id, ErrNotFound)
	}
	spec, err := cont.Spec(ctx)
	if err != nil {
		return nil, c.wrapUnavailable(fmt.Errorf("exec in %s: read spec: %w", id, err))
	}
	if spec.Process == nil {
		return nil, fmt.Errorf("exec in %s: the container's spec has no process", id)
	}
	t = &execTarget{task: task, proc: spec.Process}
	tc.put(id, t)
	return t, nil
}

// put records a fresh container's target; a nil process leaves it to get.
func (tc *execTargetCache) put(id string, t *execTarget) {
	if t.proc == nil {
		return
	}
	tc.mu.Lock()
	if tc.targets == nil {
		tc.targets = map[string]*execTarget{}
	}
	tc.targets[id] = t
	tc.mu.Unlock()
}

func (tc *execTargetCache) forget(id string) {
	tc.mu.Lock()
	delete(tc.targets, id)
	tc.mu.Unlock()
}

// runExec starts proc and waits for it, killing it after timeout (0 = none); started
// reports whether the process ran at all.
func runExec(ctx context.Context, proc containerd.Process, timeout time.Duration) (res ExecResult, started bool, err error) {
	waitCh, err := proc.Wait(context.WithoutCancel(ctx))
	if err != nil {
		return ExecResult{}, false, err
	}
	if err := proc.Start(ctx); err != nil {
		if errdefs.IsUnavailable(err) { // containerd failed, not the probe
			return ExecResult{}, false, err
		}
		return startFailure(err), false, nil
	}
	var expire <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	select {
	case st := <-waitCh:
		if err := st.Error(); err != nil {
			// The wait broke with containerd's connection: there is no result.
			return ExecResult{}, true, errgrpc.ToNative(err)
		}
		return ExecResult{ExitCode: int(st.ExitCode())}, true, nil
	case <-expire:
	case <-ctx.Done():
	}
	_ = proc.Kill(context.WithoutCancel(ctx), syscall.SIGKILL)
	select {
	case st := <-waitCh:
		if ctx.Err() != nil {
			return ExecResult{ExitCode: int(st.ExitCode())}, true, ctx.Err()
		}
		return ExecResult{ExitCode: int(st.ExitCode()), TimedOut: true}, true, nil
	case <-time.After(execKillWait):
		return ExecResult{TimedOut: true}, true, errors.New("process still running after SIGKILL")
	}
}

// startFailure is the result of an exec that could not start (runc's message kept).
func startFailure(err error) ExecResult {
	msg := err.Error()
	code := 126
	if strings.Contains(msg, "not found") || strings.Contains(msg, "no such file") {
		code = 127
	}
	if len(msg) > execOutputLimit {
		msg = msg[:execOutputLimit]
	}
	return ExecResult{ExitCode: code, Output: msg}
}

// newExecID returns a unique exec id (containerd identifier rules).
func newExecID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return execIDPrefix + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}
