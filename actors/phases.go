package actors

import (
	"context"
	"fmt"
	"runtime/trace"
	"time"
)

// The phases of a resource's start that Options.Phase reports (docs/spec/runtime.md §20.4).
const (
	PhaseImage     = "image"     // pull, build or find the image
	PhasePrepare   = "prepare"   // create or adopt the container, network and task
	PhaseStart     = "start"     // start the task
	PhaseReadiness = "readiness" // from the task start to the first passing probe
)

// PhaseSpan is one timed phase of one incarnation of a resource.
type PhaseSpan struct {
	Resource string
	Phase    string
	Start    time.Time
	End      time.Time
	Err      string // redacted; "" when the phase succeeded
}

// timed runs f, a runtime call of the given phase, and reports its span. It runs on
// the operation's goroutine: Options.Phase must be safe for concurrent use and must
// not block.
func (a *resource) timed(phase string, f func() error) error {
	if a.o.Phase == nil {
		return f()
	}
	start := a.o.Now()
	err := f()
	a.reportPhase(phase, start, err)
	return err
}

func (a *resource) reportPhase(phase string, start time.Time, err error) {
	if a.o.Phase == nil {
		return
	}
	s := PhaseSpan{Resource: a.node.Name, Phase: phase, Start: start, End: a.o.Now()}
	if err != nil {
		s.Err = a.o.Redact(err.Error())
	}
	if trace.IsEnabled() { // LSCTL_PROFILE_DIR: the phase in the execution trace too
		trace.Log(context.Background(), "phase", fmt.Sprintf("%s %s %d %d", s.Resource, s.Phase, s.Start.UnixNano(), s.End.UnixNano()))
	}
	a.o.Phase(s)
}

// DefaultSlowStep is Options.SlowStep's default.
const DefaultSlowStep = 3 * time.Second

// slowStep is a prepare or start still waiting on containerd after waited; task is
// what containerd reports for the task meanwhile.
type slowStep struct {
	gen    int
	phase  string
	waited time.Duration
	task   string
}

// watchSlowStep reports, from the operation's goroutine, a step that has been waiting
// on containerd for Options.SlowStep, then every twice that, until the returned func
// is called. A task containerd reports UNKNOWN (a shim that does not answer, after a
// killed lsctl) can hold a create for half a minute: the user sees why.
// It runs on the operation's goroutine: gen is the incarnation the caller captured on
// the actor, and everything else it reads is fixed before any operation runs.
func (a *resource) watchSlowStep(gen int, phase string) (done func()) {
	every := a.o.SlowStep
	if every < 0 {
		return func() {}
	}
	root, self, rt, id := a.root, a.self, a.rt, a.node.Spec.ID
	stop := make(chan struct{})
	start := time.Now()
	go func() {
		t := time.NewTimer(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			task := rt.TaskState(context.Background(), id)
			select {
			case <-stop: // answered meanwhile: nothing to report
				return
			default:
			}
			root.Send(self, slowStep{gen: gen, phase: phase, waited: time.Since(start), task: task})
			t.Reset(2 * every)
		}
	}()
	return func() { close(stop) }
}

// onSlowStep tells what the current incarnation waits for.
func (a *resource) onSlowStep(m slowStep) {
	if m.gen != a.gen {
		return
	}
	a.emit(Event{Type: ResourceWaiting, Step: m.phase, Waited: m.waited, Task: m.task})
}
