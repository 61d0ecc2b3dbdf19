package fakert

import (
	"context"
	"sync"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

// container is one fake container and its task.
type container struct {
	rt       *Runtime
	id       string
	resource string
	project  string
	ip       string
	ports    []plan.PortBinding
	adopted  bool
	serial   int

	mu        sync.Mutex
	started   bool
	exited    bool
	startedAt time.Time
	exitCode  int
	probes    int
	exitCh    chan containerdrt.ExitStatus   // what Exited returns
	watchers  []chan containerdrt.ExitStatus // exit channels not yet delivered or broken
	status    *containerdrt.ExitStatus       // the task's exit, once it happened
	killed    chan struct{}                  // closed by exit: interrupts a Stop waiting for grace
	exitTimer *time.Timer
	// handStopped: stopped by StopByHand; the next Prepare revives it.
	handStopped bool
}

var _ containerdrt.Container = (*container)(nil)

func (c *container) ID() string                             { return c.id }
func (c *container) IP() string                             { return c.ip }
func (c *container) Ports() []plan.PortBinding              { return c.ports }
func (c *container) Adopted() bool                          { return c.adopted }
func (c *container) Exited() <-chan containerdrt.ExitStatus { return c.exitCh }

// Start starts the task after the injected latency, then arms the injected exit.
func (c *container) Start(ctx context.Context) error {
	b := c.rt.record("start", c.resource, c.id)
	if err := c.rt.gate(ctx, "start"); err != nil {
		return err
	}
	if err := sleep(ctx, b.Start); err != nil {
		return err
	}
	if b.StartErr != nil {
		return b.StartErr
	}
	c.rt.mu.Lock()
	c.rt.starts[c.resource]++
	n := c.rt.starts[c.resource]
	c.rt.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return nil // adopted or started twice: a no-op like a running task
	}
	c.started, c.startedAt = true, time.Now()
	if b.ExitAfter > 0 && (n == 1 || b.ExitEveryStart) {
		code := b.ExitCode
		c.exitTimer = time.AfterFunc(b.ExitAfter, func() { c.exit(code) })
	}
	return nil
}

func (c *container) isRunning() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.started && !c.exited
}

func (c *container) sinceStart() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started || c.exited {
		return 0, false
	}
	return time.Since(c.startedAt), true
}

// exit ends the task with code once; later calls report the first code. A task that
// never started closes its exit channels without a value.
func (c *container) exit(code int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.exited {
		return c.exitCode
	}
	c.exited, c.exitCode = true, code
	if c.exitTimer != nil {
		c.exitTimer.Stop()
	}
	close(c.killed)
	if !c.started {
		for _, w := range c.watchers {
			close(w)
		}
		c.watchers = nil
		return code
	}
	c.status = &containerdrt.ExitStatus{Code: code, At: time.Now()}
	c.deliverLocked()
	return code
}

// deliverLocked hands the exit to every watcher, unless containerd is "down": then it
// is held, as a broken wait stream holds it, until the outage ends.
func (c *container) deliverLocked() {
	if c.status == nil || c.rt.down.Load() {
		return
	}
	for _, w := range c.watchers {
		w <- *c.status
		close(w)
	}
	c.watchers = nil
}

// deliver delivers a held exit (the outage ended).
func (c *container) deliver() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deliverLocked()
}

// breakWatch closes the exit channels without a value; the task runs on.
func (c *container) breakWatch() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.watchers {
		close(w)
	}
	c.watchers = nil
}

// watch returns a new exit channel, delivered at once when the task already exited.
func (c *container) watch() <-chan containerdrt.ExitStatus {
	ch := make(chan containerdrt.ExitStatus, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.watchers = append(c.watchers, ch)
	c.deliverLocked()
	return ch
}

// neverRan reports a task that ended without having started.
func (c *container) neverRan() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exited && !c.started
}
