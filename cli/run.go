package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

func (s *session) runCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "run",
		Usage:     "run a one-off container made from a resource's definition",
		UsageText: "lsctl run [-i] [-t] [-T] [--rm=false] [--no-deps] [-e K=V]... [-u USER] [-w DIR] RESOURCE [--] [CMD [ARG...]]",
		Description: "The container has the resource's image, environment (references resolved), volumes, working " +
			"directory, network and names, and CMD in place of its command; it publishes no host port, is named " +
			"<project>_<resource>_run_<id>, and is never supervised or restarted. Its dependencies that are not " +
			"running start first, each once healthy, unless --no-deps. Its exit code becomes lsctl's; " +
			"`lsctl down` removes a container kept with --rm=false, and the dependencies it started. A project " +
			"that is not up gets its network first.",
		Flags: append(attachFlags(),
			&ucli.BoolFlag{Name: "rm", Value: true, Usage: "remove the container when it exits (--rm=false keeps it)"},
			&ucli.BoolFlag{Name: "no-deps", Usage: "do not start the dependencies that are not running"},
		),
		UseShortOptionHandling: true,
		Action:                 s.runAction,
	}
}

func (s *session) runAction(c *ucli.Context) error {
	o, err := s.parseAttachOptions(c, false)
	if err != nil {
		return err
	}
	ld, err := s.load("", false)
	if err != nil {
		return err
	}
	if err := checkResourceNames(ld.manifest, []string{o.Resource}); err != nil {
		return err
	}
	if err := s.ensureDataRoot(); err != nil { // a project never up may find none
		return err
	}
	if !c.Bool("no-deps") {
		if err := s.startDependencies(c.Context, ld, o.Resource); err != nil {
			return err
		}
	}
	rt, err := s.connect(c.Context, containerdrt.PullMissing, false)
	if err != nil {
		return err
	}
	defer rt.Close()
	p, err := s.runningPlan(rt, ld)
	if err != nil {
		return err
	}
	if err := rt.EnsureNetwork(c.Context, p); err != nil {
		return err
	}
	spec := oneOffSpec(p.Node(o.Resource), o)
	if err := ensureRestartImage(c.Context, rt, &spec); err != nil {
		return fmt.Errorf("run %s: %w", o.Resource, err)
	}
	return s.runOneOff(c.Context, rt, p, &spec, o, c.Bool("rm"))
}

// startDependencies starts, health-gated and in order, the dependencies of resource
// that are not running; their lines go to stderr, stdout being the one-off's. With no
// owner they start as `lsctl start` starts them, the project's network included when
// it was never up; like the dependencies of `docker compose run` they keep running
// afterwards, unsupervised until an `up` adopts them, and `down` removes them.
func (s *session) startDependencies(ctx context.Context, ld *loaded, resource string) error {
	views, cc, err := s.resourceViews(ctx, ld)
	if err != nil {
		return err
	}
	deps := s.dependencyGraph(ld, views)
	var stopped []string
	for _, d := range closure(deps[resource], deps, declaredResources(ld.manifest)) {
		if !isUp(viewOf(views, d)) {
			stopped = append(stopped, d)
		}
	}
	if len(stopped) == 0 {
		return nil
	}
	quiet := *s
	quiet.stdout = s.stderr
	sp := quiet.planStart(ld, views, stopped)
	sp.fresh = true
	if cc != nil {
		return quiet.reportAll(quiet.withSignals(ctx, func(ctx context.Context) error { return quiet.startViaAPI(ctx, cc, sp) }))
	}
	return quiet.reportAll(quiet.startDirect(ctx, ld, sp))
}

// oneOffSpec is the resource's container spec for a one-off: its own name and
// address (set later), no host port, the command of the command line, -u, -w and -e.
func oneOffSpec(n *plan.Node, o attachOptions) plan.ContainerSpec {
	spec := n.Spec
	id := make([]byte, 3)
	_, _ = rand.Read(id)
	spec.Resource = n.Name + "_run_" + hex.EncodeToString(id)
	spec.ID = plan.ContainerID(spec.Project, spec.Resource)
	spec.Ports, spec.IP, spec.HostOffset = nil, netip.Addr{}, 0
	spec.Labels = maps.Clone(n.Spec.Labels)
	if spec.Labels == nil {
		spec.Labels = map[string]string{}
	}
	spec.Labels[plan.LabelRun] = n.Name
	spec.Labels[plan.LabelRestarts] = "0"
	if len(o.Argv) > 0 {
		spec.Command = o.Argv
	}
	if o.Dir != "" {
		spec.WorkingDir = o.Dir
	}
	spec.Env = slices.Clone(n.Spec.Env)
	for _, kv := range o.Env {
		k, v, _ := strings.Cut(kv, "=")
		spec.Env = append(spec.Env, plan.EnvVar{Name: k, Value: v})
	}
	return spec
}

// runOneOff creates the one-off with a free address of the project network, runs it
// attached, and removes it afterwards with rm.
func (s *session) runOneOff(ctx context.Context, rt *containerdrt.Client, p *plan.Plan, spec *plan.ContainerSpec, o attachOptions, rm bool) error {
	err := s.attachProcess(ctx, o, func(st containerdrt.Streams) (attachedProcess, error) {
		one, err := s.prepareOneOff(ctx, rt, p, spec, st)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", o.Resource, err)
		}
		if err := one.Start(ctx); err != nil {
			return nil, fmt.Errorf("run %s: %w", o.Resource, err)
		}
		return one, nil
	})
	if !rm {
		fmt.Fprintf(s.stderr, "[%s] kept the container %s; lsctl down removes it\n", p.Project, spec.ID)
		return err
	}
	if rmErr := rt.Remove(context.WithoutCancel(ctx), spec.ID); rmErr != nil {
		fmt.Fprintf(s.stderr, "error: remove the container %s: %v; lsctl down removes it\n", spec.ID, rmErr)
	}
	return err
}

// prepareOneOff picks an address no container of the project uses and creates the
// container, under the data-root lock so that two one-offs never share an address.
func (s *session) prepareOneOff(ctx context.Context, rt *containerdrt.Client, p *plan.Plan, spec *plan.ContainerSpec, st containerdrt.Streams) (*containerdrt.OneOff, error) {
	unlock, err := rt.LockDataRoot()
	if err != nil {
		return nil, err
	}
	defer unlock()
	managed, err := rt.List(ctx, p.Project)
	if err != nil {
		return nil, err
	}
	ip, ok := freeAddress(p, managed)
	if !ok {
		return nil, fmt.Errorf("no free address left in the network of project %q", p.Project)
	}
	spec.IP, spec.Labels[plan.LabelIP] = ip, ip.String()
	return rt.PrepareOneOff(ctx, spec, st)
}

// freeAddress is the highest address of the project subnet that no resource has and
// no container uses: resources take the lowest ones.
func freeAddress(p *plan.Plan, managed []containerdrt.Managed) (netip.Addr, bool) {
	used := map[netip.Addr]bool{p.Network.Gateway: true}
	for _, n := range p.Nodes {
		used[n.Spec.IP] = true
	}
	for _, m := range managed {
		if a, err := netip.ParseAddr(m.IP); err == nil {
			used[a] = true
		}
	}
	base := p.Network.Subnet.Masked().Addr().As4()
	for off := 254; off >= 2; off-- {
		a := base
		a[3] += byte(off)
		if ip := netip.AddrFrom4(a); !used[ip] {
			return ip, true
		}
	}
	return netip.Addr{}, false
}
