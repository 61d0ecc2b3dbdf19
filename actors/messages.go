package actors

import (
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// Messages from the supervisor to a resource actor.
type (
	// netReady: the project network exists; Prepare may run.
	netReady struct{}
	// depReady: a dependency became ready, with its outputs (for the record: the plan
	// already resolved every reference, docs/spec/manifest.md §12).
	depReady struct {
		name    string
		outputs map[string]string
	}
	// depFailed: a dependency failed before ever being ready.
	depFailed struct{ dep string }
	// stackStartedMsg: stack_started was emitted; later exits follow the policy only.
	stackStartedMsg struct{}
	// abortMsg: shutdown or rollback began; cancel in-flight work, start nothing.
	abortMsg struct{}
	// stopMsg: every dependent has stopped; stop and remove the container. A
	// rollback keeps a container this up adopted and did not touch (keepAdopted):
	// a failed up never removes what a running stack had before it.
	stopMsg struct{ keepAdopted bool }
	// killMsg: second interrupt; kill the task at once, skip grace periods.
	killMsg struct{}
	// restartMsg: restart-one (docs/spec/runtime.md §12.6); release frees the permit.
	restartMsg struct{ release func() }
	// detachMsg: the engine lets go of the stack; cancel in-flight work (a probe's
	// exec is deleted on the way out), stop nothing, close done once idle.
	detachMsg struct{ done chan struct{} }
)

// Messages from a resource actor to the supervisor.
type (
	resReady struct {
		name    string
		outputs map[string]string
	}
	resFailed struct {
		name, reason string
		cause        error // what failed, nil when the reason says it all
		beforeReady  bool  // never ready: its dependents cannot have started
		// logSince bounds the failure report's log lines to the failing attempt's
		// (zero: the attempt had no container, so no lines).
		logSince time.Time
	}
	resStopped struct {
		name string
		err  error
		kept bool // an adopted container left running by a rollback
	}
)

// opResult is the result of one goroutine an actor launched; each such goroutine
// sends exactly one, so the actor knows when nothing of its own is in flight.
type opResult interface{ generation() int }

type opBase struct{ gen int }

func (o opBase) generation() int { return o.gen }

// Results of asynchronous runtime calls and timers.
type (
	imageDone struct {
		opBase
		err error
	}
	prepared struct {
		opBase
		c   containerdrt.Container
		err error
		at  time.Time // when Prepare returned: the container's log lines start after it
	}
	startDone struct {
		opBase
		err error
		at  time.Time
	}
	portOpen struct {
		opBase
		err error
	}
	probeDone struct {
		opBase
		res            containerdrt.ExecResult
		err            error
		started, ended time.Time
	}
	exited struct {
		opBase
		status containerdrt.ExitStatus
		ok     bool // false: the channel closed without an exit (the watch was lost)
	}
	// rewatched: the runtime watches the task's exit again (Runtime.Watch).
	rewatched struct {
		opBase
		ch  <-chan containerdrt.ExitStatus
		err error
	}
	stopDone struct {
		opBase
		err  error
		left bool // the removal failed: the container may still exist
	}
	killDone struct {
		opBase
		err error
	}
	tick struct {
		opBase
		kind      tickKind
		token     int
		cancelled bool
	}
)

// imageProgress is an image acquisition phase change (not an opResult).
type imageProgress struct {
	gen   int
	phase containerdrt.ProgressPhase
}

// tickKind tells the timers of a resource apart.
type tickKind int

const (
	tickProbe tickKind = iota
	tickDeadline
	tickBackoff
	tickReset
	tickPort
	tickRewatch
)
