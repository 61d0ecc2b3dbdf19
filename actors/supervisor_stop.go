package actors

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// onShutdown starts the graceful shutdown (or rollback during startup); kill — the
// second interrupt — kills every remaining task at once (docs/spec/runtime.md §12.8).
func (s *supervisor) onShutdown(kill bool) {
	if s.phase == phaseStopped {
		return
	}
	if s.phase != phaseStopping {
		s.beginShutdown()
	}
	if kill && !s.kill {
		s.kill = true
		for _, n := range s.plan.Nodes {
			s.send(n.Name, killMsg{})
		}
	}
}

// beginShutdown emits stack_stopping, cancels in-flight work everywhere and sends the
// first stop messages (§12.7 steps 1–2).
func (s *supervisor) beginShutdown() {
	s.setPhase(phaseStopping)
	s.publish(StackStopping)
	for _, n := range s.plan.Nodes {
		s.send(n.Name, abortMsg{})
	}
	s.cancel()
	s.sendStops()
	s.maybeTeardown() // nothing to stop at all
}

// sendStops tells every resource whose dependents have all stopped to stop: reverse
// dependency order, independent branches in parallel.
func (s *supervisor) sendStops() {
	for _, n := range s.plan.Nodes {
		if s.stopSent[n.Name] {
			continue
		}
		ready := true
		for _, d := range s.dependents[n.Name] {
			if !s.stopped[d] {
				ready = false
				break
			}
		}
		if ready {
			s.stopSent[n.Name] = true
			if s.crashed[n.Name] != nil {
				s.removeCrashed(n.Name) // its actor is gone: the supervisor removes it
			} else {
				s.root.Send(s.pids[n.Name], stopMsg{keepAdopted: s.failure != nil})
			}
		}
	}
}

// onStopped records a stopped resource and releases its dependencies' stops.
func (s *supervisor) onStopped(m resStopped) {
	s.stopped[m.name] = true
	if m.kept && s.failure != nil {
		s.failure.Kept = append(s.failure.Kept, m.name)
	}
	if m.err != nil {
		s.errs = append(s.errs, m.err)
		s.removeFailed[m.name] = true
	}
	s.sendStops()
	s.maybeTeardown()
}

// maybeTeardown removes the network once every resource stopped and the network
// creation (if any) has returned (§12.7 step 4).
func (s *supervisor) maybeTeardown() {
	if s.tearingDown || s.netInflight || len(s.stopped) < len(s.plan.Nodes) {
		return
	}
	s.tearingDown = true
	root, self, rt, project, timeout := s.root, s.self, s.rt, s.plan.Project, s.teardownTimeout()
	rollback := s.failure != nil
	go func() {
		if rollback {
			// A failed up removes only what it created: containers of the project that
			// are still there ran before it, and the network is theirs too.
			if kept := remainingContainers(rt, project, timeout); len(kept) > 0 {
				root.Send(self, teardownDone{kept: kept})
				return
			}
		} else if len(remainingContainers(rt, project, min(timeout, shutdownListWait))) > 0 {
			// One-off containers (lsctl run --rm=false) are not the stack's: the network
			// goes with the last of them, when down removes them (§5.5).
			root.Send(self, teardownDone{})
			return
		}
		err := containerdrt.TeardownNetworkWithin(context.Background(), rt, project, timeout)
		var te *containerdrt.TeardownError
		if err != nil && !errors.As(err, &te) {
			err = fmt.Errorf("removing the network of project %q: %w", project, err)
		}
		root.Send(self, teardownDone{err: err})
	}()
}

// onTeardown emits stack_stopped and hands the results to the Handle (§12.7 step 5).
func (s *supervisor) onTeardown(m teardownDone) {
	if m.err != nil {
		s.errs = append(s.errs, m.err)
	}
	for _, r := range m.kept {
		if !slices.Contains(s.failure.Kept, r) && !s.removeFailed[r] { // ours, left by an error
			s.failure.Kept = append(s.failure.Kept, r)
		}
	}
	s.setPhase(phaseStopped)
	s.publish(StackStopped)
	s.h.finish(s.self, s.failure, s.errs)
}

// shutdownListWait bounds the look for containers left after a shutdown: with
// containerd not answering, the network goes as it always did.
const shutdownListWait = 2 * time.Second

// remainingContainers lists the resources whose containers the project still has; a
// list that fails keeps nothing back (the teardown then reports its own errors).
func remainingContainers(rt containerdrt.Runtime, project string, timeout time.Duration) []string {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	list, err := rt.List(ctx, project)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(list))
	for _, m := range list {
		names = append(names, m.Resource)
	}
	return names
}
