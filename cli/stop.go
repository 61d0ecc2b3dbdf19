package cli

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control"
	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

func (s *session) stopCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "stop",
		Usage:     "stop resources, keeping their containers for a quick start",
		UsageText: "lsctl stop [--grace D] [--with-dependents] [RESOURCE...]",
		Description: "No name stops every resource. Resources stop in reverse dependency order with their stop signal " +
			"and grace; a resource stopped by hand stays stopped (its restart policy does not apply) until " +
			"`lsctl start`, `lsctl restart` or `lsctl up`.",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "grace", Usage: "time to wait after the stop signal before SIGKILL (default: the running up's, else 10s)"},
			&ucli.BoolFlag{Name: "with-dependents", Usage: "also stop, first, the running resources that depend on the named ones"},
		},
		Action: s.stopAction,
	}
}

// stopPlan is what a stop does: the resources, and which must stop before which.
type stopPlan struct {
	targets []string
	after   map[string][]string // a resource stops once these (its dependents) have
	grace   time.Duration       // 0: the owner's
}

func (s *session) stopAction(c *ucli.Context) error {
	grace, err := durationFlag(c, "grace", 0)
	if err != nil {
		return err
	}
	ld, names, err := s.loadNamed(c)
	if err != nil {
		return err
	}
	views, cc, err := s.resourceViews(c.Context, ld)
	if err != nil {
		return err
	}
	sp := s.planStop(ld, views, names, c.Bool("with-dependents"))
	sp.grace = grace
	if cc != nil {
		return s.reportAll(s.withSignals(c.Context, func(ctx context.Context) error { return s.stopViaAPI(ctx, cc, sp) }))
	}
	if sp.grace == 0 {
		sp.grace = defaultGrace
	}
	return s.reportAll(s.stopDirect(c.Context, ld.manifest.Project.Name.Value, sp))
}

// planStop orders the stop (reverse dependency order) and warns about dependents that
// keep running, or adds them with withDependents.
func (s *session) planStop(ld *loaded, views []actors.View, names []string, withDependents bool) stopPlan {
	declared := declaredResources(ld.manifest)
	dependents := reverseEdges(s.dependencyGraph(ld, views))
	targets := names
	if len(targets) == 0 {
		targets = declared
	}
	if withDependents {
		targets = closure(targets, dependents, declared)
	}
	for _, t := range targets {
		for _, d := range dependents[t] {
			if !slices.Contains(targets, d) && isUp(viewOf(views, d)) {
				fmt.Fprintf(s.stderr, "warning: %s depends on %s and keeps running; lsctl stop --with-dependents %s stops it first\n", d, t, t)
			}
		}
	}
	return stopPlan{targets: targets, after: within(targets, dependents)}
}

// stopViaAPI asks the stack's owner to stop each resource once its dependents have
// stopped, and prints the outcomes.
func (s *session) stopViaAPI(ctx context.Context, cc *control.Client, sp stopPlan) error {
	query := url.Values{}
	if sp.grace > 0 {
		query.Set("grace", sp.grace.String())
	}
	return s.requestInOrder(ctx, cc, sp.targets, sp.after, handRequest{
		op: "stop", query: query, done: actors.ResourceStopped, already: "already stopped",
		lines: func(string) map[actors.EventType]string {
			return map[actors.EventType]string{actors.ResourceStopped: "stopped"}
		},
	})
}

// handRefused explains an owner's refusal of a stop, start or kill.
func handRefused(cc *control.Client, op, name string, code int, body control.HandAnswer) error {
	switch {
	case code == 404:
		return fmt.Errorf("unknown resource %q in project %q", name, cc.Project())
	case body.Error == "not running":
		return notRunning(actors.View{Name: name, Status: body.Status})
	case code == 409:
		return fmt.Errorf("cannot %s %q: %s", op, name, body.Error)
	}
	return fmt.Errorf("%s %q: %s answered HTTP %d: %s", op, name, cc.Owner(), code, body.Error)
}

// stopDirect stops the containers itself when no owner runs (project lock held).
func (s *session) stopDirect(ctx context.Context, project string, sp stopPlan) error {
	lock, err := containerdrt.LockProject(s.opts.DataRoot, project, "stop")
	if err != nil {
		return err
	}
	defer lock.Release()
	rt, err := s.connect(ctx, containerdrt.PullMissing, false)
	if err != nil {
		return err
	}
	defer rt.Close()
	managed, err := rt.List(ctx, project)
	if err != nil {
		return err
	}
	byResource := managedByResource(managed)
	out := render.NewLinePrinter(s.stdout, nil)
	return s.withSignals(ctx, func(ctx context.Context) error {
		return inDependencyOrder(sp.targets, sp.after, false, func(name string) error {
			m, ok := byResource[name]
			if !ok || (!m.Running && m.Labels[plan.LabelStopped] != "") {
				out.Printf("%s: already stopped", name)
				return nil
			}
			if _, err := rt.StopByHand(ctx, m.ID, sp.grace); err != nil {
				return fmt.Errorf("stop %q: %w", name, err)
			}
			out.Printf("%s: stopped", name)
			return nil
		})
	})
}
