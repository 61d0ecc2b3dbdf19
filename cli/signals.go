package cli

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// notifySignals delivers SIGINT, SIGTERM and SIGHUP (a closed terminal asks for the
// same ordered teardown as SIGTERM); stop ends the delivery once the command is ending. Tests inject their own channel through session.signals.
func (s *session) notifySignals() (<-chan os.Signal, func()) {
	if s.signals != nil {
		return s.signals, func() {}
	}
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	return ch, func() {
		// The command has chosen its exit code (130 after Ctrl-C): a signal from now
		// on is ignored (docs/spec/runtime.md §12.8) rather than killing the process by the
		// default action, which would replace that exit code.
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		signal.Stop(ch)
	}
}

// signalExit is the exit code after a signal-initiated end: 128 + the signal, so 130
// for SIGINT, 143 for SIGTERM and 129 for SIGHUP (docs/spec/runtime.md §16.2).
func signalExit(sig os.Signal) error {
	switch sig {
	case syscall.SIGTERM:
		return &exitError{code: 143}
	case syscall.SIGHUP:
		return &exitError{code: 129}
	}
	return &exitError{code: 130}
}

// printErrors writes one `error: ...` line per joined error, each with its cause chain
// on one line (docs/spec/runtime.md §16.2).
func printErrors(w io.Writer, err error) {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			printErrors(w, e)
		}
		return
	}
	fmt.Fprintf(w, "error: %s\n", strings.ReplaceAll(err.Error(), "\n", ": "))
}
