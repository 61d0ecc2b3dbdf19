package actors

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/fakert"
)

// lastLinesProbe records what the startup failure report asked LastLogLines for.
type lastLinesProbe struct {
	mu     sync.Mutex
	asked  []string
	since  time.Time
	called bool
}

func (p *lastLinesProbe) options() Options {
	o := fast()
	o.WaitTimeout = 200 * time.Millisecond // the readiness deadline of a never healthy attempt
	o.LastLogLines = func(r string, since time.Time, n int) []string {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.asked, p.since, p.called = append(p.asked, r), since, true
		return []string{"line"}
	}
	return o
}

// Issue 12 item 8, docs/spec/runtime.md §12.3: the failure report's lines are bounded to the
// failing attempt: from when its container was prepared (not an earlier attempt's or
// an adopted container's older lines), and a zero bound (no lines of its own) when the
// attempt never had a container.
func TestStartupReportLinesSinceAttempt(t *testing.T) {
	tests := []struct {
		name     string
		behavior fakert.Behavior
		lines    bool
	}{
		{"start fails", fakert.Behavior{Prepare: 20 * time.Millisecond, StartErr: errors.New("boom")}, true},
		{"never healthy", fakert.Behavior{Prepare: 20 * time.Millisecond, Probe: func(int, time.Duration) bool { return false }}, true},
		{"adopted, never healthy", fakert.Behavior{Adopt: true, Prepare: 20 * time.Millisecond, Probe: func(int, time.Duration) bool { return false }}, true},
		{"create fails", fakert.Behavior{Prepare: 20 * time.Millisecond, PrepareErr: errors.New("runc: boom")}, true},
		{"image fails", fakert.Behavior{ImageErr: errors.New("no such image")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newPlan("shop")
			b.add("api").Health = health(10*time.Millisecond, time.Second, 2, 0)
			rt := fakert.New()
			rt.Set("api", tt.behavior)
			p := &lastLinesProbe{}
			s := startStack(t, b.p, rt, p.options())
			var se *StartupError
			if err := s.waitReady(5 * time.Second); !errors.As(err, &se) || se.Resource != "api" {
				t.Fatalf("startup: %v", err)
			}
			s.waitDone(5 * time.Second)
			p.mu.Lock()
			defer p.mu.Unlock()
			if !tt.lines {
				if !p.called || !p.since.IsZero() {
					t.Fatalf("an attempt without a container: asked %v since %v; want a zero since", p.asked, p.since)
				}
				return
			}
			prepares := rt.CallsOf("prepare")
			if len(prepares) != 1 || len(se.LastLines) != 1 {
				t.Fatalf("since %v, prepare calls %v, lines %q", p.since, prepares, se.LastLines)
			}
			at := prepares[0].At
			switch {
			case tt.behavior.PrepareErr != nil && (p.since.After(at) || p.since.Before(at.Add(-time.Second))):
				t.Errorf("create failed: since %v is not just before Prepare was called (%v)", p.since, at)
			case tt.behavior.PrepareErr == nil && !p.since.After(at.Add(10*time.Millisecond)):
				t.Errorf("since %v is not after Prepare returned (called at %v)", p.since, at)
			}
			if starts := rt.CallsOf("start"); len(starts) > 0 && p.since.After(starts[0].At) {
				t.Errorf("since %v is after the task started (%v)", p.since, starts[0].At)
			}
		})
	}
}
