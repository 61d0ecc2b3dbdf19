package actors

import (
	"context"
	"errors"
	"fmt"
	"runtime/trace"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

// stackPhase is where the whole stack is in its life; it only moves forward.
type stackPhase int32

// Stack phases, as seen by Restart (docs/spec/runtime.md §15.2).
const (
	phaseStarting stackPhase = iota
	phaseRunning
	phaseStopping
	phaseStopped
)

// Supervisor-internal messages.
type (
	shutdownMsg  struct{ kill bool }
	networkDone  struct{ err error }
	teardownDone struct {
		err  error
		kept []string // a rollback's: resources whose containers ran before this up
	}
	orphanFailed struct {
		resource string
		err      error
	}
)

// supervisor is the stack actor: it spawns and wires the resource actors, removes
// orphans, creates the network, decides when the stack is started, rolls back a failed
// startup and runs the ordered shutdown (docs/spec/runtime.md §12.2–§12.7).
type supervisor struct {
	*env
	h          *Handle
	self       *actor.PID
	root       *actor.RootContext
	pids       map[string]*actor.PID
	dependents map[string][]string
	ctx        context.Context // orphan removal, network, image acquisition
	cancel     context.CancelFunc

	phase       stackPhase
	netInflight bool
	netDone     bool
	ready       map[string]bool
	failure     *StartupError
	failed      map[string]bool
	kill        bool
	stopSent    map[string]bool
	stopped     map[string]bool
	// removeFailed are the resources whose container could not be removed.
	removeFailed map[string]bool
	errs         []error
	tearingDown  bool
	crashed      map[string]*crashState // resources whose actor crashed (crash.go)
	broken       bool                   // the supervisor itself panicked: emergency stop
}

func newSupervisor(e *env, h *Handle, ctx context.Context, cancel context.CancelFunc) *supervisor {
	s := &supervisor{env: e, h: h, ctx: ctx, cancel: cancel, pids: map[string]*actor.PID{},
		dependents: map[string][]string{}, ready: map[string]bool{}, failed: map[string]bool{},
		stopSent: map[string]bool{}, stopped: map[string]bool{}, removeFailed: map[string]bool{}, crashed: map[string]*crashState{}}
	for _, n := range e.plan.Nodes {
		for _, d := range n.DependsOn {
			if slices.ContainsFunc(e.plan.Nodes, func(x *plan.Node) bool { return x.Name == d }) {
				s.dependents[d] = append(s.dependents[d], n.Name)
			}
		}
	}
	return s
}

// Receive is the supervisor's only state: its phase field decides. A panic stops the
// stack in an emergency (crash.go).
func (s *supervisor) Receive(ctx actor.Context) {
	msg := ctx.Message()
	switch msg.(type) {
	case *actor.Stopped:
		s.h.actorsStopped() // children stop before their parent
		return
	case *actor.Stopping, *actor.Terminated, *actor.Restarting:
		return
	}
	defer s.recoverPanic(msg)
	if s.o.receiveHook != nil {
		s.o.receiveHook("", msg)
	}
	switch m := msg.(type) {
	case *actor.Started:
		s.self, s.root = ctx.Self(), ctx.ActorSystem().Root
		s.start(ctx)
	case networkDone:
		s.onNetwork(m)
	case orphanFailed:
		s.startupFailed(m.resource, fmt.Sprintf("removing container not in the manifest: %v", m.err), m.err, false, time.Time{})
	case resReady:
		s.ready[m.name] = true
		s.checkStarted()
	case resFailed:
		if s.phase == phaseStarting {
			s.startupFailed(m.name, m.reason, m.cause, m.beforeReady, m.logSince)
		}
	case shutdownMsg:
		s.onShutdown(m.kill)
	case resStopped:
		s.onStopped(m)
	case teardownDone:
		s.onTeardown(m)
	case crashRemoved:
		s.onCrashRemoved(m)
	}
}

// start emits stack_starting, spawns every resource actor (each begins acquiring its
// image at once) and removes orphans, then ensures the network, in the background.
func (s *supervisor) start(ctx actor.Context) {
	s.publish(StackStarting)
	order := s.order()
	for i := len(order) - 1; i >= 0; i-- { // dependents first, so their PIDs exist
		n := s.plan.Nodes[s.index(order[i])]
		var deps []*actor.PID
		for _, d := range s.dependents[n.Name] {
			deps = append(deps, s.pids[d])
		}
		a := newResource(s.env, n, s.self, deps)
		for d := range a.waiting {
			if s.index(d) < 0 { // a plan bug; waiting for it would hang the startup
				delete(a.waiting, d)
			}
		}
		// The producer returns the one struct: HandleFailure never restarts an actor.
		s.pids[n.Name] = ctx.SpawnPrefix(actor.PropsFromProducer(func() actor.Actor { return a }), "resource-"+n.Name)
		s.h.setPID(n.Name, s.pids[n.Name])
	}
	s.netInflight = true
	root, self, c := s.root, s.self, s.ctx
	go func() { root.Send(self, s.prepareStack(c)) }()
}

// prepareStack removes orphans (§4.4) and ensures the network (§5.1).
func (s *supervisor) prepareStack(ctx context.Context) any {
	defer trace.StartRegion(ctx, "prepare stack").End()
	list, err := s.rt.List(ctx, s.plan.Project)
	if err != nil {
		return networkDone{fmt.Errorf("listing containers of project %q: %w", s.plan.Project, err)}
	}
	for _, m := range list {
		if s.index(m.Resource) >= 0 || m.Labels[plan.LabelRun] != "" { // one-offs are lsctl run's
			continue
		}
		if err := s.removeOrphan(ctx, m); err != nil {
			return orphanFailed{m.Resource, err}
		}
	}
	if err := s.rt.EnsureNetwork(ctx, s.plan); err != nil {
		return networkDone{fmt.Errorf("network: %w", err)}
	}
	return networkDone{}
}

// removeOrphan stops and removes a container whose resource left the manifest; the
// CLI prints `<resource>: removed (not in the manifest)` on its resource_stopped.
func (s *supervisor) removeOrphan(ctx context.Context, m containerdrt.Managed) error {
	s.publishResource(ResourceStopping, m.Resource)
	op := fmt.Sprintf("remove container %s of resource %q (not in the manifest)", m.ID, m.Resource)
	err := containerdrt.Teardown(ctx, s.o.teardownTimeout(s.o.Grace), op, func(ctx context.Context) error {
		_, stopErr := s.rt.Stop(ctx, m.ID, "", s.o.Grace)
		if err := s.rt.Remove(ctx, m.ID); err != nil {
			return errors.Join(stopErr, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.publishResource(ResourceStopped, m.Resource)
	return nil
}

// onNetwork lets every resource prepare once the network exists (§12.2 step 4).
func (s *supervisor) onNetwork(m networkDone) {
	s.netInflight = false
	if s.phase != phaseStarting {
		s.maybeTeardown()
		return
	}
	if m.err != nil {
		s.startupFailed("", m.err.Error(), m.err, false, time.Time{})
		return
	}
	s.netDone = true
	for _, n := range s.plan.Nodes {
		s.send(n.Name, netReady{})
	}
	s.checkStarted()
}

// checkStarted emits stack_started once every resource has been ready (§12.2 step 6).
func (s *supervisor) checkStarted() {
	if s.phase != phaseStarting || !s.netDone || len(s.ready) < len(s.plan.Nodes) {
		return
	}
	s.setPhase(phaseRunning)
	s.publish(StackStarted)
	for _, n := range s.plan.Nodes {
		s.send(n.Name, stackStartedMsg{})
	}
	s.h.markReady()
}

// startupFailed records the first failure, fails the dependents of a resource that
// was never ready, and rolls back (§12.3). The report's log lines are those the failing
// attempt's container wrote since logSince (zero: the attempt had no container).
func (s *supervisor) startupFailed(name, reason string, cause error, beforeReady bool, logSince time.Time) {
	if s.phase != phaseStarting || s.failure != nil {
		return
	}
	s.failure = &StartupError{Resource: name, Reason: s.o.Redact(reason), cause: cause}
	if name != "" && s.o.LastLogLines != nil {
		for _, l := range s.o.LastLogLines(name, logSince, lastLogLines) {
			s.failure.LastLines = append(s.failure.LastLines, s.o.Redact(l))
		}
	}
	if beforeReady {
		s.failDependents(name)
	}
	s.beginShutdown()
}

// failDependents tells every transitive dependent of a never-ready resource that it
// will not start, naming its own failed dependency.
func (s *supervisor) failDependents(root string) {
	s.failed[root] = true
	for _, name := range s.order() {
		n := s.plan.Nodes[s.index(name)]
		if s.failed[name] {
			continue
		}
		for _, d := range n.DependsOn {
			if s.failed[d] {
				s.failed[name] = true
				s.send(name, depFailed{dep: d})
				break
			}
		}
	}
}

// order is the plan's topological order (computed when the plan has none).
func (s *supervisor) order() []string {
	if len(s.plan.Order) == len(s.plan.Nodes) {
		return s.plan.Order
	}
	return topoOrder(s.plan.Nodes)
}

// topoOrder orders nodes after their dependencies, ties in declaration order.
func topoOrder(nodes []*plan.Node) []string {
	done := map[string]bool{}
	var out []string
	for len(out) < len(nodes) {
		progressed := false
		for _, n := range nodes {
			if done[n.Name] || slices.ContainsFunc(n.DependsOn, func(d string) bool { return !done[d] }) {
				continue
			}
			done[n.Name], progressed = true, true
			out = append(out, n.Name)
		}
		if !progressed { // a cycle the plan should have rejected: keep declaration order
			for _, n := range nodes {
				if !done[n.Name] {
					done[n.Name] = true
					out = append(out, n.Name)
				}
			}
		}
	}
	return out
}

// send delivers msg to a resource actor; a crashed one has none any more.
func (s *supervisor) send(name string, msg any) {
	if s.crashed[name] == nil {
		s.root.Send(s.pids[name], msg)
	}
}

func (s *supervisor) index(name string) int {
	return slices.IndexFunc(s.plan.Nodes, func(n *plan.Node) bool { return n.Name == name })
}

func (s *supervisor) setPhase(p stackPhase) {
	s.phase = p
	s.h.phase.Store(int32(p))
}

func (s *supervisor) publish(typ EventType) {
	s.bus.publish(Event{Type: typ, TS: s.o.Now(), Project: s.plan.Project})
}

func (s *supervisor) publishResource(typ EventType, resource string) {
	s.bus.publish(Event{Type: typ, Resource: resource, TS: s.o.Now()})
}
