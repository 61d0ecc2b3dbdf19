package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// superviseCommand is argv[1] of the background supervisor process that `up -d`
// leaves behind. It is not a urfave command: Run dispatches it before parsing.
const superviseCommand = "__supervise"

// Status words the supervisor writes on its status pipe (file descriptor 3).
const statusReady = "ready"

// errStackStopping is the release refusal of a supervisor that is stopping the stack.
var errStackStopping = errors.New("the stack is stopping")

// handoverWait bounds how long `up` waits for a released supervisor to exit.
const handoverWait = 15 * time.Second

// backgroundUp runs `up -d` (and the first half of a foreground up that finds a
// supervised stack): it takes the stack over from a running background supervisor,
// starts a new one running this same command line, and relays its lines until the
// stack is ready (exit 0) or the supervisor has given up (its exit code). Signals are
// forwarded, so Ctrl-C during the startup rolls back as in the foreground.
func (s *session) backgroundUp(ctx context.Context, o upOptions, sigs <-chan os.Signal) error {
	if err := s.takeOver(ctx, o); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("start the background supervisor: cannot find the lsctl executable: %w", err)
	}
	return s.relaySupervisor(exe, sigs)
}

// takeOver asks a background supervisor of the project, if one runs, to let go of the
// stack without stopping it, and waits until it has exited: the new supervisor then
// adopts every running container whose configuration is unchanged and recreates the
// others, so the stack is never stopped by a second `up`.
func (s *session) takeOver(ctx context.Context, o upOptions) error {
	m, _, _ := s.loadRaw(o.EnvFile)
	if m == nil || !m.Project.Name.Set {
		return nil // the supervisor reports the manifest's problems
	}
	project := m.Project.Name.Value
	cc, err := s.dialControl(ctx, project)
	if err != nil {
		return nil
	}
	if !cc.Info().Supervisor {
		return nil // a foreground up: the new supervisor reports the busy project
	}
	err = cc.Post(ctx, "/api/release")
	if err != nil && strings.Contains(err.Error(), errStackStopping.Error()) {
		// A down is tearing the stack down (or was, before it was interrupted): the
		// new up starts once the supervisor has finished and exited.
		fmt.Fprintf(s.stdout, "[%s] waiting for %s to finish stopping the stack\n", project, cc.Owner())
		return s.waitLockFree(ctx, project, o.Grace+downExtraWait)
	}
	if err != nil {
		return fmt.Errorf("take over from %s of project %q: %w", cc.Owner(), project, err)
	}
	if err := s.waitLockFree(ctx, project, handoverWait); err != nil {
		return fmt.Errorf("take over from %s of project %q: %w", cc.Owner(), project, err)
	}
	return nil
}

// waitLockFree waits until nobody holds the project lock (the owner has exited), up
// to wait.
func (s *session) waitLockFree(ctx context.Context, project string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		lock, err := containerdrt.LockProject(s.opts.DataRoot, project, "up")
		if err == nil {
			lock.Release()
			return nil
		}
		var busy *containerdrt.BusyError
		if !errors.As(err, &busy) || time.Now().After(deadline) {
			return err
		}
		if err := awaitLockHolder(ctx, busy); err != nil {
			return err
		}
	}
}

// relaySupervisor starts the supervisor process and copies its output until it is
// ready or has exited.
func (s *session) relaySupervisor(exe string, sigs <-chan os.Signal) error {
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return err
	}
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, append([]string{superviseCommand}, s.args...)...)
	cmd.Stdout, cmd.Stderr, cmd.ExtraFiles = outW, errW, []*os.File{statusW}
	// Its own session: no controlling terminal, so neither a closed terminal nor the
	// terminal's Ctrl-C reaches it; Ctrl-C during the startup is forwarded below.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	outW.Close()
	errW.Close()
	statusW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		statusR.Close()
		return fmt.Errorf("start the background supervisor %s: %w", exe, err)
	}
	var copies sync.WaitGroup
	for _, p := range []struct {
		from io.ReadCloser
		to   io.Writer
	}{{outR, s.stdout}, {errR, s.stderr}} {
		copies.Add(1)
		go func() {
			defer copies.Done()
			defer p.from.Close()
			_, _ = io.Copy(p.to, p.from)
		}()
	}
	status := make(chan string, 1)
	go func() {
		defer statusR.Close()
		line, _ := bufio.NewReader(statusR).ReadString('\n')
		status <- strings.TrimSpace(line)
	}()
	for {
		select {
		case sig := <-sigs:
			_ = cmd.Process.Signal(sig)
		case st := <-status:
			copies.Wait()
			if st == statusReady {
				_ = cmd.Process.Release() // it lives on; init reaps it
				return nil
			}
			return supervisorExit(cmd.Wait())
		}
	}
}

// supervisorExit turns the exit of a supervisor that never became ready into up's
// own exit: its code (it printed its errors already), or why it died.
func supervisorExit(err error) error {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return &exitError{code: ee.ExitCode()}
	}
	return fmt.Errorf("the background supervisor died before the stack was ready: %v", err)
}

// supervisorIO is the supervisor process's side of the relay: its lines go to `up
// -d` until the stack is ready, and to supervisor.log always.
type supervisorIO struct {
	out, err *relayWriter
	status   *os.File
	log      *ownerLog
	once     sync.Once
}

// relayWriter writes to the pipe to `up -d` (while attached) and to the owner log.
type relayWriter struct {
	mu   sync.Mutex
	pipe *streamWriter // nil once detached
	sv   *supervisorIO
}

func (w *relayWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.pipe != nil {
		_, _ = w.pipe.Write(p)
	}
	w.mu.Unlock()
	if l := w.sv.log; l != nil {
		_, _ = l.Write(p)
	}
	return len(p), nil
}

func (w *relayWriter) detach() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pipe != nil {
		if f := w.pipe.file(); f != nil {
			f.Close()
		}
		w.pipe = nil
	}
}

// newSupervisorIO takes over the process's standard streams: duplicates of the pipes
// to `up -d` carry its lines, so that descriptors 1 and 2 can later point at the log.
func newSupervisorIO() (*supervisorIO, error) {
	sv := &supervisorIO{status: os.NewFile(3, "status")}
	for _, fd := range []struct {
		n    int
		into **relayWriter
	}{{1, &sv.out}, {2, &sv.err}} {
		dup, err := syscall.Dup(fd.n)
		if err != nil {
			return nil, err
		}
		syscall.CloseOnExec(dup)
		*fd.into = &relayWriter{pipe: &streamWriter{w: os.NewFile(uintptr(dup), "relay")}, sv: sv}
	}
	// Nothing is read from a terminal; stdin is /dev/null already when started by up -d.
	return sv, nil
}

// openLog starts writing to the project's supervisor.log, and points descriptors 1
// and 2 there so the Go runtime's own output (a panic) is kept too.
func (sv *supervisorIO) openLog(path string) error {
	l, err := openOwnerLog(path, true)
	if err != nil {
		return fmt.Errorf("open the supervisor log %s: %w", path, err)
	}
	sv.log = l
	return nil
}

// ready tells `up -d` that the stack is ready and stops relaying to it.
func (sv *supervisorIO) ready() {
	sv.once.Do(func() {
		if sv.log == nil { // descriptors 1 and 2 must not keep the pipes open
			if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
				_ = syscall.Dup2(int(null.Fd()), 1)
				_ = syscall.Dup2(int(null.Fd()), 2)
				null.Close()
			}
		}
		if sv.status != nil {
			_, _ = sv.status.WriteString(statusReady + "\n")
			sv.status.Close()
		}
		sv.out.detach()
		sv.err.detach()
	})
}

// runSupervisor is the background supervisor process: the same up as in the
// foreground, without a terminal, its lines relayed then logged.
func (s *session) runSupervisor(args []string) int {
	sv, err := newSupervisorIO()
	if err != nil {
		fmt.Fprintf(s.stderr, "error: start the background supervisor: %v\n", err)
		return 1
	}
	s.stdout, s.stderr, s.supervisor = sv.out, sv.err, sv
	s.log = nil // re-created on the relayed stderr
	return s.run(args)
}
