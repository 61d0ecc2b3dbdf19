package cli

import (
	"os"
	"os/signal"
	"syscall"
)

// notifySignals delivers SIGINT and SIGTERM; stop undoes the registration. Tests
// inject their own channel through session.signals.
func (s *session) notifySignals() (<-chan os.Signal, func()) {
	if s.signals != nil {
		return s.signals, func() {}
	}
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	return ch, func() { signal.Stop(ch) }
}

// signalExit is the exit code after a signal-initiated end: 130 for SIGINT, 143 for
// SIGTERM (runtime.md §16.2).
func signalExit(sig os.Signal) error {
	if sig == syscall.SIGTERM {
		return &exitError{code: 143}
	}
	return &exitError{code: 130}
}
