package containerdrt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"
)

// runInOwnGroup runs the command mk makes in a process group of its own. Ctrl-C on a
// terminal sends SIGINT to the whole foreground process group: without this, a helper
// started by `up` (CNI plugin, iptables) would die with it in the middle of a CNI ADD
// or DEL, and the shutdown that the same Ctrl-C begins (docs/spec/runtime.md §12.7, §12.8) would
// leave addresses, iptables rules and the bridge behind. lsctl cancels helpers it no
// longer needs through their context instead.
//
// A Ctrl-C typed in the instant between the fork and the child's move to its new
// group still reaches the child, pending, and kills it before it executes anything;
// such a run is attempted again with a fresh command from mk (an exec.Cmd runs once).
func runInOwnGroup(mk func() *exec.Cmd) error {
	for attempt := 1; ; attempt++ {
		cmd := mk()
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.Setpgid = true
		err := cmd.Run()
		if attempt < maxInterruptedRuns && killedByInterrupt(err) {
			continue
		}
		return err
	}
}

// maxInterruptedRuns bounds the runs of a helper killed by SIGINT; each needs a Ctrl-C
// landing in a window of microseconds, so a few are plenty.
const maxInterruptedRuns = 5

// killedByInterrupt reports whether err is the exit of a process killed by SIGINT.
func killedByInterrupt(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGINT
}

// pluginExec runs CNI plugins like libcni's default executor, but each in its own
// process group (see runInOwnGroup).
type pluginExec struct {
	version.PluginDecoder
	stderr io.Writer // receives what a succeeding plugin wrote to stderr
}

var _ invoke.Exec = (*pluginExec)(nil)

// ExecPlugin runs the plugin with stdinData on stdin and returns its stdout.
func (e *pluginExec) ExecPlugin(ctx context.Context, pluginPath string, stdinData []byte, environ []string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	err := runInOwnGroup(func() *exec.Cmd {
		stdout.Reset()
		stderr.Reset()
		cmd := exec.CommandContext(ctx, pluginPath)
		cmd.Env = environ
		cmd.Stdin = bytes.NewReader(stdinData)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		return cmd
	})
	if err != nil {
		return nil, pluginError(pluginPath, err, stdout.Bytes(), stderr.Bytes())
	}
	if e.stderr != nil && stderr.Len() > 0 {
		_, _ = stderr.WriteTo(e.stderr)
	}
	return stdout.Bytes(), nil
}

// FindInPath finds a plugin binary in the plugin directories.
func (e *pluginExec) FindInPath(plugin string, paths []string) (string, error) {
	return invoke.FindInPath(plugin, paths)
}

// pluginError is the error a failed plugin reported on stdout (the CNI error format),
// else its exit status with its stderr.
func pluginError(path string, runErr error, stdout, stderr []byte) error {
	var cniErr types.Error
	if json.Unmarshal(stdout, &cniErr) == nil && cniErr.Msg != "" {
		return &cniErr
	}
	msg := strings.TrimSpace(string(stderr))
	if msg == "" {
		msg = strings.TrimSpace(string(stdout))
	}
	if msg == "" {
		return fmt.Errorf("CNI plugin %s: %w", path, runErr)
	}
	return fmt.Errorf("CNI plugin %s: %w: %s", path, runErr, msg)
}
