// Package logdriver is the hidden `lsctl __log-driver PATH` command that the containerd
// shim runs as the binary logger of every lsctl container (docs/spec/runtime.md §10.1).
package logdriver

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/logfile"
)

// Command is the hidden subcommand name; main dispatches it before anything else.
const Command = "__log-driver"

// drainAfterTerm bounds how long the driver keeps reading after SIGTERM.
const drainAfterTerm = 2 * time.Second

// File descriptors the shim passes (docs/spec/runtime.md §10.1).
const (
	fdStdout = 3
	fdStderr = 4
	fdReady  = 5
)

// Run is `lsctl __log-driver PATH`: args are the arguments after the subcommand name.
// It copies fd 3 (stdout) and fd 4 (stderr) into the log file PATH until both reach
// end of file, or for at most 2 s after SIGTERM, and returns the exit code (0 unless
// it could not start).
func Run(args []string) int {
	if len(args) != 1 || args[0] == "" {
		fmt.Fprintln(os.Stderr, "usage: lsctl __log-driver PATH")
		return 2
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGINT)
	w, err := logfile.Open(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "lsctl log driver: %v\n", err)
		return 1
	}
	defer w.Close()
	ready := os.NewFile(fdReady, "ready")
	if ready != nil {
		ready.Close() // the shim waits for this before starting the task
	}
	streams := []*os.File{pipe(fdStdout, "stdout"), pipe(fdStderr, "stderr")}
	done := copyStreams(w, streams)
	select {
	case <-done:
	case <-term:
		deadline := time.Now().Add(drainAfterTerm)
		for _, f := range streams {
			if f != nil && f.SetReadDeadline(deadline) != nil {
				f.Close() // not pollable: closing ends the pending read
			}
		}
		select {
		case <-done:
		case <-time.After(drainAfterTerm + 500*time.Millisecond):
		}
	}
	return 0
}

// pipe wraps fd in non-blocking mode so that read deadlines work on it.
func pipe(fd int, name string) *os.File {
	if err := syscall.SetNonblock(fd, true); err != nil {
		return nil // fd not open: nothing to read on this stream
	}
	return os.NewFile(uintptr(fd), name)
}

// copyStreams copies each stream into w and closes the returned channel when all end.
func copyStreams(w *logfile.Writer, streams []*os.File) <-chan struct{} {
	names := []string{logfile.Stdout, logfile.Stderr}
	var wg sync.WaitGroup
	for i, f := range streams {
		if f == nil {
			continue
		}
		wg.Add(1)
		go func(stream string, f *os.File) {
			defer wg.Done()
			err := logfile.Copy(w, stream, f)
			if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, os.ErrClosed) {
				fmt.Fprintf(os.Stderr, "lsctl log driver: %s: %v\n", stream, err)
			}
		}(names[i], f)
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}
