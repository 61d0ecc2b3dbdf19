package containerdrt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lightshuttle/lsctl/plan"
)

// attachedDrainWait bounds the wait for the end of an attached process's output after
// its exit: a background child that keeps the output open must not hold `lsctl exec`.
const attachedDrainWait = 2 * time.Second

// ExecSpec is a process to run in a container with the caller's streams attached
// (`lsctl exec`), as opposed to a probe, whose output is only captured.
type ExecSpec struct {
	Argv []string
	Env  []string // "K=V", added to the container process's environment (same names replaced)
	User string   // "" = the container's user; else user[:group], by name or number
	Dir  string   // "" = the container's working directory
	Streams
}

// Streams are the caller's streams an attached process uses.
type Streams struct {
	// Terminal allocates a pseudo-terminal of Width x Height; Stderr is then unused.
	Terminal      bool
	Width, Height uint16
	Stdin         io.Reader // nil: the process reads nothing
	Stdout        io.Writer
	Stderr        io.Writer
}

// creator hands the streams to the shim through FIFOs under dir; stdin replaces
// st.Stdin (it reports the end of input).
func (st Streams) creator(dir string, stdin io.Reader) cio.Creator {
	opts := []cio.Opt{cio.WithStreams(stdin, st.Stdout, st.Stderr), cio.WithFIFODir(dir)}
	if st.Terminal {
		opts = append(opts, cio.WithTerminal)
	}
	return cio.NewCreator(opts...)
}

// ExecStartError is a process that could not be started (missing executable, bad
// working directory); Code is 127 for a missing executable, else 126, as shells do.
type ExecStartError struct {
	Code int
	Msg  string
}

func (e *ExecStartError) Error() string { return e.Msg }

// ExecProcess is a started attached process.
type ExecProcess struct {
	proc   containerd.Process
	waitCh <-chan containerd.ExitStatus
	stdin  *eofReader
	ended  chan struct{} // closed once Wait has the exit status
}

// StartExec starts s.Argv in the running task of container id with the container
// process's environment (plus s.Env), user and working directory unless s overrides
// them, and the caller's streams attached.
func (c *Client) StartExec(ctx context.Context, id string, s ExecSpec) (*ExecProcess, error) {
	if len(s.Argv) == 0 {
		return nil, fmt.Errorf("exec in %s: empty command", id)
	}
	target, err := c.execTargets.get(ctx, c, id)
	if errdefs.IsNotFound(err) {
		c.execTargets.forget(id)
		target, err = c.execTargets.get(ctx, c, id)
	}
	if err != nil {
		return nil, err
	}
	pspec, err := attachedProcess(target, s)
	if err != nil {
		return nil, fmt.Errorf("exec in %s: %w", id, err)
	}
	p := &ExecProcess{ended: make(chan struct{})}
	var stdin io.Reader
	if s.Stdin != nil {
		p.stdin = newEOFReader(s.Stdin)
		stdin = p.stdin
	}
	creator := s.Streams.creator(filepath.Join(execOutputDir, c.namespace()), stdin)
	proc, err := target.task.Exec(ctx, "exec-"+randomHex(8), pspec, creator)
	if err != nil {
		return nil, c.wrapUnavailable(fmt.Errorf("exec in %s: %w", id, err))
	}
	p.proc = proc
	if p.waitCh, err = proc.Wait(context.WithoutCancel(ctx)); err != nil {
		_, _ = proc.Delete(context.WithoutCancel(ctx))
		return nil, c.wrapUnavailable(fmt.Errorf("exec in %s: %w", id, err))
	}
	if err := proc.Start(ctx); err != nil {
		_, _ = proc.Delete(context.WithoutCancel(ctx))
		f := startFailure(err)
		return nil, &ExecStartError{Code: f.ExitCode, Msg: fmt.Sprintf("exec in %s: %s", id, f.Output)}
	}
	if p.stdin != nil {
		go closeStdinAtEOF(p.stdin, p.ended, func(ctx context.Context) error {
			return p.proc.CloseIO(ctx, containerd.WithStdinCloser)
		})
	}
	return p, nil
}

// attachedProcess is the container's process spec with s applied.
func attachedProcess(target *execTarget, s ExecSpec) (*specs.Process, error) {
	pspec := *target.proc
	pspec.Args = s.Argv
	pspec.Env = plan.OverrideEnv(pspec.Env, s.Env)
	pspec.Terminal = s.Terminal
	pspec.ConsoleSize = nil
	if s.Terminal && s.Width > 0 && s.Height > 0 {
		// The size applies before the program runs, so its first look is right.
		pspec.ConsoleSize = &specs.Box{Width: uint(s.Width), Height: uint(s.Height)}
	}
	if s.Dir != "" {
		pspec.Cwd = s.Dir
	}
	if s.User != "" {
		u, home, err := lookupUser(target.task.Pid(), s.User)
		if err != nil {
			return nil, err
		}
		pspec.User = u
		pspec.Env = plan.OverrideEnv(pspec.Env, []string{"HOME=" + home})
		pspec.Env = plan.OverrideEnv(pspec.Env, s.Env) // -e HOME=... still wins
	}
	return &pspec, nil
}

// Resize sets the pseudo-terminal's size.
func (p *ExecProcess) Resize(ctx context.Context, width, height uint16) error {
	return p.proc.Resize(ctx, uint32(width), uint32(height))
}

// Signal sends sig to the process; a process already gone is not an error.
func (p *ExecProcess) Signal(ctx context.Context, sig syscall.Signal) error {
	return ignoreNotFound(p.proc.Kill(ctx, sig), "signal exec process")
}

// Wait waits for the process to exit and its output to be copied, deletes it, and
// returns its exit code (128 + n after signal n). When ctx ends first the process is
// killed.
func (p *ExecProcess) Wait(ctx context.Context) (int, error) {
	var st containerd.ExitStatus
	select {
	case st = <-p.waitCh:
	case <-ctx.Done():
		_ = p.proc.Kill(context.WithoutCancel(ctx), syscall.SIGKILL)
		st = <-p.waitCh
	}
	close(p.ended)
	drained := make(chan struct{})
	go func() {
		p.proc.IO().Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(attachedDrainWait):
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), execDeleteWait)
	defer cancel()
	if _, err := p.proc.Delete(dctx, containerd.WithProcessKill); err != nil && !errdefs.IsNotFound(err) {
		return 0, fmt.Errorf("delete exec process: %w", err)
	}
	code, _, err := st.Result()
	if err != nil {
		return 0, err
	}
	return int(code), nil
}

// closeStdinAtEOF tells the shim to close a process's stdin once the caller's input
// ends, so that a program reading to the end (cat, psql < file) finishes; it gives up
// once the process has ended.
func closeStdinAtEOF(in *eofReader, ended <-chan struct{}, closeIO func(context.Context) error) {
	select {
	case <-in.eof:
	case <-ended:
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = closeIO(ctx)
}

// eofReader reports when its reader ended.
type eofReader struct {
	r    io.Reader
	once sync.Once
	eof  chan struct{}
}

func newEOFReader(r io.Reader) *eofReader { return &eofReader{r: r, eof: make(chan struct{})} }

func (e *eofReader) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err != nil {
		e.once.Do(func() { close(e.eof) })
	}
	return n, err
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
