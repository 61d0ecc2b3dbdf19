package actors

import (
	"sync"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/fakert"
)

// phaseLog collects Options.Phase reports.
type phaseLog struct {
	mu    sync.Mutex
	spans []PhaseSpan
}

func (l *phaseLog) add(s PhaseSpan) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.spans = append(l.spans, s)
}

func (l *phaseLog) of(resource string) map[string]PhaseSpan {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]PhaseSpan{}
	for _, s := range l.spans {
		if s.Resource == resource {
			out[s.Phase] = s
		}
	}
	return out
}

// docs/spec/runtime.md §20.4: every resource reports its image, prepare, start and readiness
// phases, in that order and before its resource_healthy; a failed readiness is
// reported with the reason.
func TestPhaseSpans(t *testing.T) {
	b := newPlan("shop")
	b.add("db").Health = health(10*time.Millisecond, time.Second, 3, 0)
	b.add("api", "db")
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{Pull: 30 * time.Millisecond, Prepare: 10 * time.Millisecond, ProbePassAfter: 40 * time.Millisecond})
	log := &phaseLog{}
	s := startReady(t, b.p, rt, Options{Phase: log.add})
	for _, name := range []string{"db", "api"} {
		ph := log.of(name)
		img, prep, start, ready := ph[PhaseImage], ph[PhasePrepare], ph[PhaseStart], ph[PhaseReadiness]
		if len(ph) != 4 || img.End.After(prep.Start) || prep.End.After(start.Start) || start.End.After(ready.Start) ||
			ready.End.After(s.await(ResourceHealthy, name, time.Second).TS) {
			t.Errorf("%s phases out of order: %+v", name, ph)
		}
	}
	db := log.of("db")
	if d := db[PhaseImage].End.Sub(db[PhaseImage].Start); d < 30*time.Millisecond {
		t.Errorf("db image phase %s, want >= the 30ms pull", d)
	}
	if d := db[PhaseReadiness].End.Sub(db[PhaseReadiness].Start); d < 40*time.Millisecond {
		t.Errorf("db readiness %s, want >= 40ms", d)
	}
	if api := log.of("api"); api[PhaseStart].Start.Before(db[PhaseReadiness].End) {
		t.Errorf("api started before db was ready: %+v", api)
	}

	b = newPlan("bad")
	b.add("job")
	rt = fakert.New()
	b.p.Nodes[0].Health = health(50*time.Millisecond, time.Second, 1, 0)
	rt.Set("job", fakert.Behavior{ExitAfter: 10 * time.Millisecond, ExitCode: 3, Probe: func(int, time.Duration) bool { return false }})
	log = &phaseLog{}
	s = startStack(t, b.p, rt, Options{Phase: log.add})
	if err := s.waitReady(5 * time.Second); err == nil {
		t.Fatal("startup succeeded")
	}
	if r := log.of("job")[PhaseReadiness]; r.Err != "exited with code 3 before becoming ready" {
		t.Errorf("failed readiness reported as %+v", r)
	}
}

// Issue 12 item 4: a prepare or start that waits on containerd beyond SlowStep says so,
// naming the step and what containerd reports for the task, and then again; a quick
// one says nothing.
func TestSlowStepSaysWhatItWaitsFor(t *testing.T) {
	b := newPlan("shop")
	b.add("db")
	b.add("api")
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{Prepare: 300 * time.Millisecond})
	s := startReady(t, b.p, rt, Options{SlowStep: 40 * time.Millisecond})
	first := s.await(ResourceWaiting, "db", time.Second)
	if first.Step != PhasePrepare || first.Task != "no task yet" || first.Waited < 40*time.Millisecond {
		t.Errorf("first resource_waiting of db: %+v", first)
	}
	if again := s.awaitNth(ResourceWaiting, "db", 2, time.Second); again.Waited <= first.Waited {
		t.Errorf("second resource_waiting of db waited %s, the first %s", again.Waited, first.Waited)
	}
	started := s.await(ResourceStarted, "db", time.Second)
	for _, e := range s.events() {
		if e.Type == ResourceWaiting && (e.Resource == "api" || e.TS.After(started.TS)) {
			t.Errorf("resource_waiting without a slow step: %+v", e)
		}
	}
}
