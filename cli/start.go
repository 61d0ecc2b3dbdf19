package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
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
}

func (s *session) startAction(c *ucli.Context) error {
	ld, err := s.load("", false)
	if err != nil {
		return err
	}
	names := c.Args().Slice()
	if err := checkResourceNames(ld.manifest, names); err != nil {
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
func (s *session) startViaAPI(ctx context.Context, cc *controlClient, sp startPlan) error {
	events, err := cc.events(ctx)
	if err != nil {
		return fmt.Errorf("start: open the event stream of %s: %w", cc.owner(), err)
	}
	router := routeEvents(events)
	out := &linePrinter{w: s.stdout}
	return runOrdered(sp.targets, sp.after, true, func(name string) error {
		ch := router.watch(name)
		code, body, err := cc.postHand(ctx, name, "start", nil)
		if err != nil {
			return err
		}
		switch code {
		case 200:
			out.printf("%s: already running", name)
			return nil
		case 202:
			lines := map[string]string{actors.ResourceStarted: "started", actors.ResourceHealthy: sp.readyLine(name)}
			return s.awaitOutcome(ctx, ch, name, actors.ResourceHealthy, lines, out)
		}
		return handRefused(cc, "start", name, code, body)
	})
}

// startDirect starts the resources itself when no owner runs: project lock, current
// manifest, the project's network (runtime.md §12.6 direct mode).
func (s *session) startDirect(ctx context.Context, ld *loaded, sp startPlan) error {
	project := ld.manifest.Project.Name.Value
	lock, err := containerdrt.LockProject(s.opts.DataRoot, project, "start")
	if err != nil {
		return err
	}
	defer lock.Release()
	if !fileExists(filepath.Join(s.opts.DataRoot, "networks", plan.NetworkName(project)+".json")) {
		return fmt.Errorf("project %q is not running; start it with lsctl up", project)
	}
	rt, err := s.connect(ctx, containerdrt.PullMissing, false)
	if err != nil {
		return err
	}
	defer rt.Close()
	p, err := s.finalPlan(ld)
	if err != nil {
		return err
	}
	if err := rt.EnsureNetwork(ctx, p); err != nil {
		return err
	}
	managed, err := rt.List(ctx, project)
	if err != nil {
		return err
	}
	byResource := managedByResource(managed)
	return s.withSignals(ctx, func(ctx context.Context) error {
		return runOrdered(sp.targets, sp.after, true, func(name string) error {
			m, ok := byResource[name]
			if ok && m.Running {
				fmt.Fprintf(s.stdout, "%s: already running\n", name)
				return nil
			}
			if err := s.startNode(ctx, rt, p, p.Node(name), m.Restarts, "start"); err != nil {
				// Runtime errors may relay probe output: never show secrets (§8.4).
				return errors.New(p.Redactor().Redact(err.Error()))
			}
			return nil
		})
	})
}
