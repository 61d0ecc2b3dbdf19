package containerdrt

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd/v2/client"

	"github.com/lightshuttle/lsctl/plan"
)

// OneOff is a container run once with the caller's streams attached (`lsctl run`):
// its output goes to the caller, not to the log driver, and nobody restarts it.
type OneOff struct {
	ct    *container
	stdin *eofReader
	ended chan struct{} // closed once Wait has the exit status
}

// PrepareOneOff creates the container of s (with its network, volumes and task, not
// started) attached to st. s.ID must be new: nothing is adopted or replaced.
func (c *Client) PrepareOneOff(ctx context.Context, s *plan.ContainerSpec, st Streams) (*OneOff, error) {
	r, err := c.resolveSpec(ctx, s)
	if err != nil {
		return nil, err
	}
	o := &OneOff{ended: make(chan struct{})}
	var stdin io.Reader
	if st.Stdin != nil {
		o.stdin = newEOFReader(st.Stdin)
		stdin = o.stdin
	}
	tio := taskIO{creator: st.creator(filepath.Join(execOutputDir, c.namespace()), stdin),
		terminal: st.Terminal, width: st.Width, height: st.Height}
	ct, err := c.create(ctx, s, r, tio)
	if err != nil {
		return nil, err
	}
	o.ct = ct.(*container)
	return o, nil
}

// ID is the container's id.
func (o *OneOff) ID() string { return o.ct.ID() }

// Start starts the task.
func (o *OneOff) Start(ctx context.Context) error {
	if err := o.ct.Start(ctx); err != nil {
		return err
	}
	if o.stdin != nil {
		go closeStdinAtEOF(o.stdin, o.ended, func(ctx context.Context) error {
			return o.ct.task.CloseIO(ctx, containerd.WithStdinCloser)
		})
	}
	return nil
}

// Resize sets the size of the task's pseudo-terminal.
func (o *OneOff) Resize(ctx context.Context, width, height uint16) error {
	return o.ct.task.Resize(ctx, uint32(width), uint32(height))
}

// Signal sends sig to the task; a task already gone is not an error.
func (o *OneOff) Signal(ctx context.Context, sig syscall.Signal) error {
	return ignoreNotFound(o.ct.task.Kill(ctx, sig), "signal container "+o.ID())
}

// Wait waits for the task to exit and its output to be copied, and returns its exit
// code (128 + n after signal n). When ctx ends first the task is killed.
func (o *OneOff) Wait(ctx context.Context) (int, error) {
	var st ExitStatus
	var ok bool
	select {
	case st, ok = <-o.ct.Exited():
	case <-ctx.Done():
		_ = o.ct.task.Kill(context.WithoutCancel(ctx), syscall.SIGKILL)
		st, ok = <-o.ct.Exited()
	}
	close(o.ended)
	if !ok {
		return 0, fmt.Errorf("container %s: lost track of its task", o.ID())
	}
	drained := make(chan struct{})
	go func() {
		o.ct.task.IO().Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(attachedDrainWait):
	}
	return st.Code, nil
}
