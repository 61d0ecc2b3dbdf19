package cli

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// notifySignals delivers SIGINT and SIGTERM; stop ends the delivery once the command
// is ending. Tests inject their own channel through session.signals.
func (s *session) notifySignals() (<-chan os.Signal, func()) {
	if s.signals != nil {
		return s.signals, func() {}
	}
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	return ch, func() {
		// The command has chosen its exit code (130 after Ctrl-C): a signal from now
		// on is ignored (runtime.md §12.8) rather than killing the process by the
		// default action, which would replace that exit code.
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM)
		signal.Stop(ch)
	}
}

// signalExit is the exit code after a signal-initiated end: 130 for SIGINT, 143 for
// SIGTERM (runtime.md §16.2).
func signalExit(sig os.Signal) error {
	if sig == syscall.SIGTERM {
		return &exitError{code: 143}
	}
	return &exitError{code: 130}
}

// printErrors writes one `error: ...` line per joined error, each with its cause chain
// on one line (runtime.md §16.2).
func printErrors(w io.Writer, err error) {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			printErrors(w, e)
		}
		return
	}
	fmt.Fprintf(w, "error: %s\n", strings.ReplaceAll(err.Error(), "\n", ": "))
}
