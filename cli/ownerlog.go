package cli

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/lightshuttle/lsctl/plan"
)

// ownerLogMax bounds supervisor.log; at that size it is moved to supervisor.log.1 (the
// previous one is dropped), so a stack supervised for months costs at most twice this.
const ownerLogMax = 4 << 20

// ownerLogPath is where the process that owns a stack (a foreground up or the
// background supervisor) keeps its own lines: events, warnings, errors.
func ownerLogPath(dataRoot, project string) string {
	return filepath.Join(plan.ProjectDir(dataRoot, project), "supervisor.log")
}

// ownerLog is a size-bounded append-only file. Write never fails: a full disk or a
// removed directory loses log lines, never supervision (docs/spec/runtime.md §12.8).
type ownerLog struct {
	mu   sync.Mutex
	path string
	f    *os.File
	size int64
	// stdio, when set, also points file descriptors 1 and 2 at the log after every
	// rotation, so that what the Go runtime itself writes there (a panic's stack
	// trace) is kept too. Only the background supervisor, which has no terminal, sets it.
	stdio bool
}

// openOwnerLog opens (creating, mode 0600) the owner log of a project.
func openOwnerLog(path string, stdio bool) (*ownerLog, error) {
	l := &ownerLog{path: path, stdio: stdio}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *ownerLog) open() error {
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	l.f, l.size = f, st.Size()
	if l.stdio {
		_ = unix.Dup2(int(f.Fd()), 1)
		_ = unix.Dup2(int(f.Fd()), 2)
	}
	return nil
}

func (l *ownerLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return len(p), nil
	}
	if l.size+int64(len(p)) > ownerLogMax {
		l.rotate()
		if l.f == nil {
			return len(p), nil
		}
	}
	n, _ := l.f.Write(p)
	l.size += int64(n)
	return len(p), nil
}

// rotate moves the full log aside and starts a new one.
func (l *ownerLog) rotate() {
	l.f.Close()
	l.f = nil
	_ = os.Rename(l.path, l.path+".1")
	_ = l.open()
}

// Close closes the file; later writes are dropped.
func (l *ownerLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// streamWriter writes to a terminal or pipe that may go away (a closed terminal, a
// `| head` that exited). The first failed write marks it dead; from then on writes
// are dropped and reported as successful, so that no caller aborts supervision or a
// teardown over its output (docs/spec/runtime.md §12.8).
type streamWriter struct {
	w    io.Writer
	dead atomic.Bool
}

func (s *streamWriter) Write(p []byte) (int, error) {
	if s.dead.Load() {
		return len(p), nil
	}
	if _, err := s.w.Write(p); err != nil {
		s.dead.Store(true)
	}
	return len(p), nil
}

// Unwrap is the underlying stream, so terminal detection still sees it.
func (s *streamWriter) Unwrap() io.Writer { return s.w }

// file returns the underlying *os.File, so terminal detection still sees it.
func (s *streamWriter) file() *os.File {
	f, _ := s.w.(*os.File)
	return f
}

// teeWriter writes to every writer; the writers here never fail.
type teeWriter []io.Writer

func (t teeWriter) Write(p []byte) (int, error) {
	for _, w := range t {
		_, _ = w.Write(p)
	}
	return len(p), nil
}

// guardStreams makes up's output streams safe to lose (docs/spec/runtime.md §12.8): a write to
// a closed pipe returns an error instead of killing lsctl with SIGPIPE, and a dead
// stream is dropped from then on.
func (s *session) guardStreams() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	if s.supervisor != nil {
		return // its relay writers are safe already
	}
	s.stdout = &streamWriter{w: s.stdout}
	s.stderr = &streamWriter{w: s.stderr}
}

// openUpLog starts keeping up's lines in the project's supervisor.log: the
// background supervisor's whole output, a foreground up's state lines and errors
// (not the containers' log lines, which have files of their own). A log that cannot
// be opened costs the log, not the up.
func (s *session) openUpLog(project string) func() {
	path := ownerLogPath(s.opts.DataRoot, project)
	if s.supervisor != nil {
		if err := s.supervisor.openLog(path); err != nil {
			fmt.Fprintf(s.stderr, "warning: %v\n", err)
		}
		return func() {}
	}
	l, err := openOwnerLog(path, false)
	if err != nil {
		s.log.Warn("cannot keep up's lines in the project log", "path", path, "err", err)
		return func() {}
	}
	s.upLog = l
	s.stderr = teeWriter{s.stderr, l}
	return func() { l.Close() }
}
