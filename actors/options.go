package actors

import (
	"io"
	"log/slog"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// Default durations (docs/spec/runtime.md §12.5, §12.7).
const (
	DefaultGrace      = 10 * time.Second
	DefaultResetAfter = 60 * time.Second
	maxBackoff        = 30 * time.Second
	// lastLogLines is how many log lines a startup failure report carries (§12.3).
	lastLogLines = 20
)

// Options configure the lifecycle engine. The zero value gives the spec's defaults.
type Options struct {
	// Grace is the stop grace period (--grace); 0 means DefaultGrace.
	Grace time.Duration
	// WaitTimeout replaces Healthcheck.Deadline() when non-zero (--wait-timeout).
	WaitTimeout time.Duration
	// Redact removes secret values from error texts; nil leaves them as they are.
	Redact func(string) string
	// LastLogLines returns up to n last log lines of a resource written at or after
	// since (when the failing attempt's container began to log; zero when the attempt
	// never had a container, whose log lines are then not its own), for the startup
	// failure report; nil gives none.
	LastLogLines func(resource string, since time.Time, n int) []string
	// Backoff is the delay before policy restart attempt n (from 1); nil gives
	// min(2^(n-1) s, 30 s).
	Backoff func(attempt int) time.Duration
	// ResetAfter is how long a resource must stay ready for the attempt counter to
	// reset; 0 means DefaultResetAfter.
	ResetAfter time.Duration
	// Logger receives diagnostics, protoactor's included (at warn and above); nil discards.
	Logger *slog.Logger
	// Now is the clock for event timestamps; nil means time.Now.
	Now func() time.Time
	// Phase, when set, receives the timing of every image, prepare, start and
	// readiness phase of every resource (lsctl's own trace, docs/spec/runtime.md §20.4). It is
	// called from the actors' goroutines, must be safe for concurrent use and must
	// not block.
	Phase func(PhaseSpan)
	// SlowStep is how long a prepare or start may wait on containerd before the
	// resource says what it waits for (resource_waiting, again every 2×SlowStep);
	// 0 means DefaultSlowStep, a negative value never.
	SlowStep time.Duration
	// Images, when set, holds the image acquisitions begun before the engine
	// (Images.Prefetch), which the resources join; the Handle cancels what still
	// runs when the startup is abandoned and waits for it before Done. nil gives the
	// engine its own.
	Images *Images

	// teardownMargin replaces containerdrt.TeardownMargin; tests shorten it.
	teardownMargin time.Duration
	// receiveHook, when set, runs at the start of every Receive of a resource actor
	// (with its name) and of the stack supervisor (with ""): tests inject panics here.
	receiveHook func(actor string, msg any)
}

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.Redact == nil {
		o.Redact = func(s string) string { return s }
	}
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	if o.ResetAfter <= 0 {
		o.ResetAfter = DefaultResetAfter
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SlowStep == 0 {
		o.SlowStep = DefaultSlowStep
	}
	if o.teardownMargin <= 0 {
		o.teardownMargin = containerdrt.TeardownMargin
	}
	return o
}

// teardownTimeout is the deadline of one teardown step under grace: grace + the margin.
func (o Options) teardownTimeout(grace time.Duration) time.Duration { return grace + o.teardownMargin }

// DefaultBackoff is min(2^(n-1) s, 30 s) for attempt n ≥ 1 (docs/spec/runtime.md §12.5).
func DefaultBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 6 {
		return maxBackoff
	}
	return min(time.Duration(1<<(attempt-1))*time.Second, maxBackoff)
}
