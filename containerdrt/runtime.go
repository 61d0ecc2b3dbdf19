// Package containerdrt is lsctl's container runtime layer: the Runtime interface the
// actors drive, and its implementation on containerd (images, containers, tasks, exec,
// exit events, the binary log driver, CNI networking, hosts files, volumes, cleanup by
// label).
package containerdrt

import (
	"context"
	"errors"
	"syscall"
	"time"

	"github.com/lightshuttle/lsctl/plan"
)

// Sentinel errors, wrapped with context by every implementation; test with errors.Is.
var (
	ErrNotFound      = errors.New("not found")
	ErrUnavailable   = errors.New("containerd unavailable")
	ErrNotOwned      = errors.New("owned by another project")
	ErrPortInUse     = errors.New("host port in use")
	ErrAlreadyExists = errors.New("already exists")
)

// Runtime is what the resource actors and the CLI use to run containers. Every method
// takes a context first and is idempotent where it can be.
type Runtime interface {
	// EnsureImage makes the spec's image present (pull, build or load) per the pull
	// policy and reports progress. It fills nothing in s. Each call acquires on its
	// own: the engine shares one acquisition between resources (actors/images.go).
	EnsureImage(ctx context.Context, s *plan.ContainerSpec, p Progress) error
	// EnsureNetwork creates or reuses the project network (docs/spec/runtime.md §5.1), assigns the
	// subnet and every address into the plan (p.AssignSubnet), and writes the project's
	// hosts, resolv.conf and hostname files (§5.4).
	EnsureNetwork(ctx context.Context, p *plan.Plan) error
	// TeardownNetwork removes the project's bridge, conflist and record; a missing
	// network is success; a network of another project is refused.
	TeardownNetwork(ctx context.Context, project string) error
	// Prepare adopts a matching running container or creates a fresh one (stopping and
	// removing a stale one), with its network namespace, CNI setup and task created but
	// not started (docs/spec/runtime.md §12.2 step 4).
	Prepare(ctx context.Context, s *plan.ContainerSpec) (Container, error)
	// Stop sends signal ("" = the image's stop signal), waits up to grace, then SIGKILL;
	// it returns the exit code. A task already gone is not an error.
	Stop(ctx context.Context, id string, signal string, grace time.Duration) (exitCode int, err error)
	// Kill sends SIGKILL to the task at once.
	Kill(ctx context.Context, id string) error
	// StopByHand stops the task like Stop and keeps the container, so that the next
	// Prepare of the same configuration gives it a fresh task (`lsctl stop`, `start`).
	StopByHand(ctx context.Context, id string, grace time.Duration) (exitCode int, err error)
	// MarkStoppedByHand labels the container as StopByHand does, once a kill by hand
	// has ended its task, so that the next Prepare revives it and ps says stopped.
	MarkStoppedByHand(ctx context.Context, id string) error
	// Signal sends sig to the task; handled reports whether its PID 1 can act on it
	// (`lsctl kill`). A missing task is ErrNotFound.
	Signal(ctx context.Context, id string, sig syscall.Signal) (handled bool, err error)
	// Remove deletes task, container, snapshot, CNI state and netns; missing parts are fine.
	Remove(ctx context.Context, id string) error
	// Exec runs a probe in the running task.
	Exec(ctx context.Context, id string, req ExecRequest) (ExecResult, error)
	// Probe runs a native healthcheck from the host against ip (docs/spec/runtime.md §11.1).
	Probe(ctx context.Context, ip string, p plan.NativeProbe, timeout time.Duration) (ExecResult, error)
	// WaitPort waits until a TCP connect to addr ("ip:port") succeeds or ctx ends.
	WaitPort(ctx context.Context, addr string) error
	// List returns the containers labelled with the project.
	List(ctx context.Context, project string) ([]Managed, error)
	// Watch watches the exit of container id's task again, for a caller whose Exited
	// channel closed without a status; the channel behaves as Exited does.
	Watch(ctx context.Context, id string) (<-chan ExitStatus, error)
	// Health reports whether containerd answers now: nil, else an error wrapping
	// ErrUnavailable. An answer may be up to a second old.
	Health(ctx context.Context) error
	// TaskState describes container id's task as containerd reports it now ("running",
	// "created", "no task yet", "UNKNOWN (...)", "containerd does not answer"), within
	// three seconds: what a slow step waits for.
	TaskState(ctx context.Context, id string) string
}

// Container is a prepared container whose task exists.
type Container interface {
	ID() string
	IP() string
	Ports() []plan.PortBinding // as actually published
	// Adopted reports that a matching running container was reused (Start is a no-op).
	Adopted() bool
	// Start starts the task.
	Start(ctx context.Context) error
	// Exited delivers the init process's exit once, then is closed. It outlives
	// containerd restarts: an exit that happened while containerd was down arrives once
	// it answers again, and a task it no longer knows reports UnknownExitCode. It
	// closes without a value only when the context given to Prepare ends first.
	Exited() <-chan ExitStatus
}

// ExitStatus is a task's exit. Signal deaths report 128 + the signal number.
type ExitStatus struct {
	Code int
	At   time.Time
}

// ExecRequest is one probe execution.
type ExecRequest struct {
	Argv    []string
	Env     []string // added to the container process environment ("K=V")
	Timeout time.Duration
}

// ExecResult is a probe outcome. Output holds up to 4 KiB of combined output.
type ExecResult struct {
	ExitCode int
	Output   string
	TimedOut bool
}

// Managed is a container found by its project label.
type Managed struct {
	ID         string
	Project    string
	Resource   string
	Kind       string
	Image      string
	ConfigHash string
	IP         string
	Ports      []plan.PortBinding
	DependsOn  []string
	Restarts   int
	StartedAt  time.Time // zero when unknown
	Running    bool
	PID        uint32
	Labels     map[string]string
}

// Progress receives image acquisition updates; it may be nil.
type Progress func(ProgressUpdate)

// ProgressPhase names one step of an image acquisition; callers above the runtime add
// their own display phases of the same type.
type ProgressPhase string

// The phases EnsureImage reports.
const (
	PhasePulling   ProgressPhase = "pulling"    // a pull is running; Done/Total carry bytes
	PhasePulled    ProgressPhase = "pulled"     // the pull finished
	PhaseBuilding  ProgressPhase = "building"   // a build started
	PhaseBuildStep ProgressPhase = "build-step" // one build step completed; Message names it
	PhaseBuilt     ProgressPhase = "built"      // the build finished
	PhasePresent   ProgressPhase = "present"    // the image was there already
)

// ProgressUpdate is one image acquisition update.
type ProgressUpdate struct {
	Phase   ProgressPhase
	Ref     string
	Done    int64
	Total   int64
	Message string
	Elapsed time.Duration
}
