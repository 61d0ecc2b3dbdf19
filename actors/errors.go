package actors

import (
	"errors"
	"fmt"
)

// Restart rejections (docs/spec/runtime.md §12.6, §15.2).
var (
	ErrRestartInProgress = errors.New("restart already in progress")
	ErrUnknownResource   = errors.New("unknown resource")
	ErrStackStarting     = errors.New("the stack is still starting; retry once it is ready")
	ErrStackStopping     = errors.New("the stack is stopping")
	// ErrBusy rejects a stop or start while another stop, start or restart of the
	// resource is in progress.
	ErrBusy = errors.New("another stop, start or restart of it is in progress")
	// ErrNotRunning rejects a kill of a resource whose task does not run.
	ErrNotRunning = errors.New("not running")
	// ErrResourceCrashed: the resource failed with an internal error (a bug in lsctl);
	// only a new up can start it again.
	ErrResourceCrashed = errors.New("the resource failed with an internal error and cannot be restarted alone; " +
		"run lsctl down, then lsctl up")
	// ErrStartupCancelled is WaitReady's result when Shutdown interrupted the startup.
	ErrStartupCancelled = errors.New("startup cancelled by shutdown")
)

// StartupError is a failed startup after its rollback (docs/spec/runtime.md §12.3). Resource is
// empty when the network failed.
type StartupError struct {
	Resource  string
	Reason    string
	LastLines []string
	// Kept are the resources whose containers ran before this up and were left
	// running by the rollback, with the network they use.
	Kept []string
	// cause is the runtime's error behind Reason, nil when there is none (an exit, a
	// probe deadline). It is unexported and absent from Error: its text may hold the
	// secrets that Reason has redacted.
	cause error
}

// Unwrap gives errors.Is and errors.As the cause across the actor boundary.
func (e *StartupError) Unwrap() error { return e.cause }

// Error reads like the CLI line: startup failed: resource "<r>": <reason>.
func (e *StartupError) Error() string {
	if e.Resource == "" {
		return "startup failed: " + e.Reason
	}
	return fmt.Sprintf("startup failed: resource %q: %s", e.Resource, e.Reason)
}
