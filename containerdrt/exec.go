package containerdrt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/errdefs"

	"github.com/lightshuttle/lsctl/containerdrt/logfile"
)

// execOutputLimit is how much combined probe output is kept (runtime.md §11.1).
const execOutputLimit = 4 << 10

// execOutputDir holds the record files of probe output. The shim runs the log driver
// (binary:// URI) for the exec as for the container: no FIFO has to be attached in
// time, and the shim's delete waits for the driver, so the file is complete then. (The
// shim's file:// mode is not used: when stdout ends first it closes the file shared
// with stderr, losing stderr output.)
const execOutputDir = "/run/lsctl/exec"

// execKillWait bounds the wait for a timed-out exec after SIGKILL.
const execKillWait = 5 * time.Second

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
	task, cont, err := c.loadTask(ctx, id)
	if err != nil {
		return ExecResult{}, err
	}
	if task == nil {
		return ExecResult{}, fmt.Errorf("exec in %s: container has no running task: %w", id, ErrNotFound)
	}
	spec, err := cont.Spec(ctx)
	if err != nil {
		return ExecResult{}, fmt.Errorf("exec in %s: read spec: %w", id, err)
	}
	pspec := *spec.Process
	pspec.Args = req.Argv
	pspec.Env = overrideEnv(pspec.Env, req.Env)
	pspec.Terminal = false

	execID := newExecID()
	outPath := filepath.Join(execOutputDir, c.opts.Namespace, execID+".log")
	defer os.Remove(outPath)
	proc, err := task.Exec(ctx, execID, &pspec, cio.LogURI(c.driverURI(outPath)))
	if err != nil {
		return ExecResult{}, c.wrapUnavailable(fmt.Errorf("exec in %s: %w", id, err))
	}
	res, runErr := runExec(ctx, proc, req.Timeout)
	// Delete waits for the shim to finish copying the output into the file; a
	// background child still holding the output open must not hang the probe.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), execKillWait)
	_, delErr := proc.Delete(dctx, containerd.WithProcessKill)
	cancel()
	if runErr != nil {
		return res, fmt.Errorf("exec in %s: %w", id, runErr)
	}
	if delErr != nil && !errdefs.IsNotFound(delErr) {
		return res, fmt.Errorf("exec in %s: delete process: %w", id, delErr)
	}
	if res.Output == "" {
		res.Output = readOutput(outPath, execOutputLimit)
	}
	return res, nil
}

// runExec starts proc and waits for it, killing it after timeout (0 = none).
func runExec(ctx context.Context, proc containerd.Process, timeout time.Duration) (ExecResult, error) {
	waitCh, err := proc.Wait(context.WithoutCancel(ctx))
	if err != nil {
		return ExecResult{}, err
	}
	if err := proc.Start(ctx); err != nil {
		return startFailure(err), nil
	}
	var expire <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	select {
	case st := <-waitCh:
		return ExecResult{ExitCode: int(st.ExitCode())}, nil
	case <-expire:
	case <-ctx.Done():
	}
	_ = proc.Kill(context.WithoutCancel(ctx), syscall.SIGKILL)
	select {
	case st := <-waitCh:
		if ctx.Err() != nil {
			return ExecResult{ExitCode: int(st.ExitCode())}, ctx.Err()
		}
		return ExecResult{ExitCode: int(st.ExitCode()), TimedOut: true}, nil
	case <-time.After(execKillWait):
		return ExecResult{TimedOut: true}, errors.New("process still running after SIGKILL")
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

// overrideEnv returns base with extra's variables replacing same-named ones in place
// (getenv returns the first of duplicate entries, so appending is not enough).
func overrideEnv(base, extra []string) []string {
	out := append([]string(nil), base...)
	index := map[string]int{}
	for i, kv := range out {
		k, _, _ := strings.Cut(kv, "=")
		index[k] = i
	}
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := index[k]; ok {
			out[i] = kv
			continue
		}
		index[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// readOutput joins the lines of the record file at path, stdout and stderr in the
// order the driver read them, keeping the first n bytes; a missing file reads as "".
func readOutput(path string, n int) string {
	recs, err := logfile.Read(path, -1)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, r := range recs {
		b.WriteString(r.Line)
		b.WriteByte('\n')
		if b.Len() >= n {
			break
		}
	}
	out := b.String()
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// newExecID returns a unique exec id (containerd identifier rules).
func newExecID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "probe-" + hex.EncodeToString(b[:])
}
