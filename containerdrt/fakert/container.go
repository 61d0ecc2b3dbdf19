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
	exitCh    chan containerdrt.ExitStatus
	killed    chan struct{} // closed by exit: interrupts a Stop waiting for grace
	exitTimer *time.Timer
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
	if err := c.rt.answer(ctx); err != nil {
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

// exit ends the task with code once; later calls report the first code.
func (c *container) exit(code int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.exited || !c.started {
		if !c.exited {
			c.exited, c.exitCode = true, code
			close(c.killed)
			close(c.exitCh)
		}
		return c.exitCode
	}
	c.exited, c.exitCode = true, code
	if c.exitTimer != nil {
		c.exitTimer.Stop()
	}
	close(c.killed)
	c.exitCh <- containerdrt.ExitStatus{Code: code, At: time.Now()}
	close(c.exitCh)
	return code
}
