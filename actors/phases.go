package actors

import "time"

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
	a.o.Phase(s)
}
