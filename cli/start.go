package cli

import (
	"context"
	"fmt"
	"slices"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control"
)

func (s *session) startCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "start",
		Usage:     "start stopped resources again",
		UsageText: "lsctl start [RESOURCE...]",
		Description: "No name starts every resource that is not running. Dependencies that are not running start too, " +
			"first: each resource starts once its dependencies are ready, and the command returns once all are " +
			"(healthy, or running without a healthcheck).",
		Action: s.startAction,
	}
}

// startPlan is what a start does: the resources, and which must be ready first.
type startPlan struct {
	targets []string
	after   map[string][]string // a resource starts once these (its dependencies) are ready
	health  map[string]bool     // has a healthcheck: "healthy", else "running"
	fresh   bool                // the project may have no network yet: created (run's dependencies)
}

func (s *session) startAction(c *ucli.Context) error {
	ld, names, err := s.loadNamed(c)
	if err != nil {
		return err
	}
	views, cc, err := s.resourceViews(c.Context, ld)
	if err != nil {
		return err
	}
	sp := s.planStart(ld, views, names)
	if cc != nil {
		return s.reportAll(s.withSignals(c.Context, func(ctx context.Context) error { return s.startViaAPI(ctx, cc, sp) }))
	}
	return s.reportAll(s.startDirect(c.Context, ld, sp))
}

// planStart adds the dependencies that are not running and orders the start.
func (s *session) planStart(ld *loaded, views []actors.View, names []string) startPlan {
	declared := declaredResources(ld.manifest)
	deps := s.dependencyGraph(ld, views)
	targets := names
	if len(targets) == 0 {
		targets = declared
	}
	var needed []string
	for _, n := range closure(targets, deps, declared) {
		if slices.Contains(targets, n) || !isUp(viewOf(views, n)) {
			needed = append(needed, n)
		}
	}
	sp := startPlan{targets: needed, after: within(needed, deps), health: map[string]bool{}}
	if p, _ := s.readOnlyPlan(ld, false); p != nil {
		for _, n := range p.Nodes {
			sp.health[n.Name] = n.Health != nil
		}
	}
	return sp
}

// readyLine is what a ready resource prints after "<resource>: ".
func (sp startPlan) readyLine(name string) string {
	if sp.health[name] {
		return "healthy"
	}
	return "running"
}

// startViaAPI asks the stack's owner to start each resource once its dependencies are
// ready, and prints the outcomes.
func (s *session) startViaAPI(ctx context.Context, cc *control.Client, sp startPlan) error {
	return s.requestInOrder(ctx, cc, sp.targets, sp.after, handRequest{
		op: "start", blocking: true, done: actors.ResourceHealthy, already: "already running",
		lines: func(name string) map[actors.EventType]string {
			return map[actors.EventType]string{actors.ResourceStarted: "started", actors.ResourceHealthy: sp.readyLine(name)}
		},
	})
}

// startDirect starts the resources itself when no owner runs: project lock, current
// manifest, the project's network (docs/spec/runtime.md §12.6 direct mode).
func (s *session) startDirect(ctx context.Context, ld *loaded, sp startPlan) error {
	d, err := s.openDirect(ctx, ld, "start", sp.fresh)
	if err != nil {
		return err
	}
	defer d.close()
	if err := d.rt.EnsureNetwork(ctx, d.plan); err != nil {
		return err
	}
	managed, err := d.rt.List(ctx, d.plan.Project)
	if err != nil {
		return err
	}
	byResource := managedByResource(managed)
	return s.withSignals(ctx, func(ctx context.Context) error {
		return inDependencyOrder(sp.targets, sp.after, true, func(name string) error {
			m, ok := byResource[name]
			if ok && m.Running {
				fmt.Fprintf(s.stdout, "%s: already running\n", name)
				return nil
			}
			return d.redact(s.startNode(ctx, d.rt, d.plan, d.plan.Node(name), m.Restarts, "start"))
		})
	})
}
