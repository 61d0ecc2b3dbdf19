// Package fakert is an in-memory containerdrt.Runtime for tests of the lifecycle engine:
// per-resource latencies, failures, exits and probe results are injectable, every call
// is recorded with a timestamp, and Clean reports anything left behind.
package fakert

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// Behavior is how one resource's image, container and probes behave.
type Behavior struct {
	// Latencies of the operations; each one honours context cancellation.
	Pull, Prepare, Start, Stop time.Duration
	// ImagePhase is the progress phase reported by EnsureImage: "pulling" (default),
	// "building" or "present" (no acquisition event).
	ImagePhase containerdrt.ProgressPhase
	// Failures returned by EnsureImage, Prepare and Container.Start.
	ImageErr, PrepareErr, StartErr error
	// StopErr is returned by Stop of a running task, which still ends.
	StopErr error
	// ExitAfter > 0 makes the task exit with ExitCode that long after it started.
	ExitAfter time.Duration
	ExitCode  int
	// ExitEveryStart applies ExitAfter to every start, not only the first one.
	ExitEveryStart bool
	// Probe decides each probe: n counts the container's probes from 1, since is the
	// time since its task started. Nil: ProbePassAfter decides.
	Probe func(n int, since time.Duration) bool
	// ProbePassAfter: probes pass once this long has passed since task start.
	ProbePassAfter time.Duration
	// ProbeLatency is how long each probe runs; beyond the request's Timeout the probe
	// is reported as timed out.
	ProbeLatency time.Duration
	// ProbeBlock, when set, runs as every probe begins and may block, past the probe's
	// cancellation too, as a runc exec that the shim is still creating does.
	ProbeBlock func()
	// PortAfter: WaitPort succeeds this long after task start.
	PortAfter time.Duration
	// IgnoreTerm makes Stop wait out the whole grace period (a PID 1 that ignores
	// SIGTERM), unless Kill interrupts it.
	IgnoreTerm bool
	// Adopt makes Prepare report an adopted running container.
	Adopt bool
}

// Call is one recorded Runtime call.
type Call struct {
	At       time.Time
	Op       string // ensure-image, prepare, start, stop, stop-by-hand, kill, signal, remove, exec, probe, wait-port, list, watch, ensure-network, teardown-network
	Resource string
	ID       string
}

// Runtime is the fake. The zero value is not usable; call New.
type Runtime struct {
	mu         sync.Mutex
	behaviors  map[string]Behavior
	containers map[string]*container // by ID
	managed    []containerdrt.Managed
	networks   map[string]bool
	calls      []Call
	starts     map[string]int // task starts per resource
	nextIP     int
	revived    map[string]int // Prepares that revived a container stopped by hand
	networkErr error
	down       atomic.Bool   // a simulated containerd outage
	thawed     chan struct{} // non-nil while frozen; closed by Thaw
}

// SetNetworkErr makes EnsureNetwork fail with err.
func (r *Runtime) SetNetworkErr(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.networkErr = err
}

var _ containerdrt.Runtime = (*Runtime)(nil)

// Freeze makes every call that reaches containerd (images, containers, tasks, exec,
// list) block until Thaw or until its context ends, as with a SIGSTOPped containerd.
// The network calls stay answered: lsctl makes them itself (CNI, netlink, files).
func (r *Runtime) Freeze() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.thawed == nil {
		r.thawed = make(chan struct{})
	}
}

// Thaw lets the calls blocked by Freeze go on.
func (r *Runtime) Thaw() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.thawed != nil {
		close(r.thawed)
		r.thawed = nil
	}
}

// answer waits while the runtime is frozen; it fails when ctx ends first.
func (r *Runtime) answer(ctx context.Context) error {
	r.mu.Lock()
	thawed := r.thawed
	r.mu.Unlock()
	if thawed == nil {
		return nil
	}
	select {
	case <-thawed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// gate is what every containerd call of the fake meets first: a frozen runtime (no
// answer until Thaw or ctx's end), then a simulated outage (ErrUnavailable).
func (r *Runtime) gate(ctx context.Context, op string) error {
	if err := r.answer(ctx); err != nil {
		return err
	}
	return r.outage(op)
}

// New returns an empty fake runtime.
func New() *Runtime {
	return &Runtime{
		behaviors:  map[string]Behavior{},
		containers: map[string]*container{},
		networks:   map[string]bool{},
		starts:     map[string]int{},
		revived:    map[string]int{},
	}
}

// Set configures the behaviour of one resource.
func (r *Runtime) Set(resource string, b Behavior) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.behaviors[resource] = b
}

// AddManaged records a pre-existing container of a project (found by List; Stop and
// Remove accept its ID), e.g. an orphan.
func (r *Runtime) AddManaged(m containerdrt.Managed) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.managed = append(r.managed, m)
}

// Calls returns a copy of the call log in call order.
func (r *Runtime) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// CallsOf returns the recorded calls of one operation.
func (r *Runtime) CallsOf(op string) []Call {
	var out []Call
	for _, c := range r.Calls() {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// Clean reports what is left: containers (running or not), pre-existing managed
// containers and networks. nil means nothing remains.
func (r *Runtime) Clean() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var left []string
	for id, c := range r.containers {
		left = append(left, fmt.Sprintf("container %s (running=%v)", id, c.isRunning()))
	}
	for _, m := range r.managed {
		left = append(left, "managed container "+m.ID)
	}
	for n, up := range r.networks {
		if up {
			left = append(left, "network "+n)
		}
	}
	if len(left) == 0 {
		return nil
	}
	sort.Strings(left)
	return fmt.Errorf("fakert: left behind: %v", left)
}

// Running reports whether resource has a running task.
func (r *Runtime) Running(resource string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.containers {
		if c.resource == resource && c.isRunning() {
			return true
		}
	}
	return false
}

// ContainerSerial returns an identifier of the resource's current container
// incarnation (0 when none): it changes whenever the container is recreated.
func (r *Runtime) ContainerSerial(resource string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.containers {
		if c.resource == resource {
			return c.serial
		}
	}
	return 0
}

// Exit makes the resource's running task exit with code, as if it ended by itself or
// was killed from outside.
func (r *Runtime) Exit(resource string, code int) error {
	c, err := r.running(resource)
	if err != nil {
		return err
	}
	c.exit(code)
	return nil
}

// running finds the resource's container whose task runs.
func (r *Runtime) running(resource string) (*container, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.containers {
		if c.resource == resource && c.isRunning() {
			return c, nil
		}
	}
	return nil, fmt.Errorf("fakert: %s has no running task", resource)
}

// SetUnavailable simulates a containerd outage (down) and its end. While it lasts,
// every call fails with an error wrapping containerdrt.ErrUnavailable, Health
// included, and task exits are held, as a broken wait stream holds them: they are
// delivered when the outage ends, as re-established waits report them.
func (r *Runtime) SetUnavailable(down bool) {
	r.down.Store(down)
	if down {
		return
	}
	r.mu.Lock()
	cs := make([]*container, 0, len(r.containers))
	for _, c := range r.containers {
		cs = append(cs, c)
	}
	r.mu.Unlock()
	for _, c := range cs {
		c.deliver()
	}
}

// outage is the error of a call made during a simulated outage, else nil.
func (r *Runtime) outage(op string) error {
	if r.down.Load() {
		return fmt.Errorf("fakert %s: %w", op, containerdrt.ErrUnavailable)
	}
	return nil
}

// BreakExitStream closes the Exited channel of the resource's running task without a
// value, as an exit stream lost for good would, while the task runs on; Watch watches
// it again.
func (r *Runtime) BreakExitStream(resource string) error {
	c, err := r.running(resource)
	if err != nil {
		return err
	}
	c.breakWatch()
	return nil
}

// NetworkUp reports whether the project's network exists.
func (r *Runtime) NetworkUp(project string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.networks[project]
}

func (r *Runtime) record(op, resource, id string) Behavior {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, Call{At: time.Now(), Op: op, Resource: resource, ID: id})
	return r.behaviors[resource]
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ErrInjected is what injected failures wrap when a test gives none of its own.
var ErrInjected = errors.New("injected failure")
