package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// restartDirect restarts one resource through containerd when no `up` runs
// (docs/spec/runtime.md §12.6 direct mode): project lock, current manifest, existing network.
func (s *session) restartDirect(ctx context.Context, ld *loaded, resource string) error {
	m := ld.manifest
	if !slices.ContainsFunc(m.Resources, func(r *manifest.Resource) bool { return r.Name == resource }) {
		return fmt.Errorf("unknown resource %q in project %q", resource, m.Project.Name.Value)
	}
	d, err := s.openDirect(ctx, ld, "restart", false)
	if err != nil {
		return err
	}
	defer d.close()
	return s.withSignals(ctx, func(ctx context.Context) error {
		return d.redact(s.restartOne(ctx, d.rt, d.plan, resource))
	})
}

// directStack is what a command needs to change a stack that no `up` owns: the
// project lock, containerd, and the final plan of the current manifest.
type directStack struct {
	lock *containerdrt.ProjectLock
	rt   *containerdrt.Client
	plan *plan.Plan
}

// openDirect takes the project lock (held by command) and requires the project
// network, which only an up creates (docs/spec/runtime.md §12.6 direct mode), unless
// fresh: `run` may start a project that never was up, its network included (§16.13).
func (s *session) openDirect(ctx context.Context, ld *loaded, command string, fresh bool) (_ *directStack, err error) {
	project := ld.manifest.Project.Name.Value
	if err := s.ensureDataRoot(); err != nil {
		return nil, err
	}
	d := &directStack{}
	if d.lock, err = containerdrt.LockProject(s.opts.DataRoot, project, command); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	if !fresh && !fileExists(filepath.Join(s.opts.DataRoot, "networks", plan.NetworkName(project)+".json")) {
		return nil, fmt.Errorf("project %q is not running; start it with lsctl up", project)
	}
	if d.rt, err = s.connect(ctx, containerdrt.PullMissing, false); err != nil {
		return nil, err
	}
	if d.plan, err = s.runningPlan(d.rt, ld); err != nil {
		return nil, err
	}
	return d, nil
}

// runningPlan is the final plan of a running project's manifest, with the same
// OTEL_* variables as up gives (docs/spec/runtime.md §20.2), so that what a command creates has
// the configuration the next up adopts; there is no --no-otel here: the manifest
// decides.
func (s *session) runningPlan(rt *containerdrt.Client, ld *loaded) (*plan.Plan, error) {
	p, err := s.finalPlan(ld)
	if err != nil {
		return nil, err
	}
	if otelSettings(ld.manifest, false).enabled {
		subnet, err := rt.ReserveNetwork(p.Project)
		if err != nil {
			return nil, err
		}
		p.InjectOTel(receiverURL(gatewayOf(subnet)))
	}
	return p, nil
}

func (d *directStack) close() {
	if d.rt != nil {
		d.rt.Close()
	}
	d.lock.Release()
}

// redact removes secrets from a runtime error, which may relay registry or probe
// text (§8.4); signal exits pass unchanged.
func (d *directStack) redact(err error) error {
	var ee *exitError
	if err == nil || errors.As(err, &ee) {
		return err
	}
	return errors.New(d.plan.Redactor().Redact(err.Error()))
}

// restartOne stops and removes the resource's container, then starts a fresh one and
// waits for its readiness, printing the lines of docs/spec/runtime.md §16.7.
func (s *session) restartOne(ctx context.Context, rt *containerdrt.Client, p *plan.Plan, resource string) error {
	n := p.Node(resource)
	if err := rt.EnsureNetwork(ctx, p); err != nil {
		return err
	}
	managed, err := rt.List(ctx, p.Project)
	if err != nil {
		return err
	}
	restarts := 0
	for _, c := range managed {
		if c.Resource == resource {
			if err := stopOne(ctx, rt, c, defaultGrace); err != nil {
				return err
			}
			restarts = c.Restarts
			fmt.Fprintf(s.stdout, "%s: stopped\n", resource)
		}
	}
	// Manual restarts count too, persisted in the restarts label (docs/spec/runtime.md §14).
	return s.startNode(ctx, rt, p, n, restarts+1, "restart")
}

// startNode acquires the node's image, prepares its container (a container stopped by
// hand gets a fresh task, anything else is recreated with the given restarts count)
// and starts it, then waits for readiness, printing the lines of docs/spec/runtime.md §16.7.
// Failures read "<what> of "<resource>" failed: ...".
func (s *session) startNode(ctx context.Context, rt *containerdrt.Client, p *plan.Plan, n *plan.Node, restarts int, what string) error {
	failed := func(err error) error { return fmt.Errorf("%s of %q failed: %w", what, n.Name, err) }
	labels := maps.Clone(n.Spec.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[plan.LabelRestarts] = strconv.Itoa(restarts)
	n.Spec.Labels = labels
	if err := ensureRestartImage(ctx, rt, &n.Spec); err != nil {
		return failed(err)
	}
	c, err := s.prepareWithPorts(ctx, rt, p, n)
	if err != nil {
		return failed(err)
	}
	if err := c.Start(ctx); err != nil {
		return failed(err)
	}
	fmt.Fprintf(s.stdout, "%s: started\n", n.Name)
	if n.Health == nil {
		fmt.Fprintf(s.stdout, "%s: running\n", n.Name)
		return nil
	}
	if err := waitHealthy(ctx, rt, c, n.Health, p.Redactor().Redact); err != nil {
		return failed(err)
	}
	fmt.Fprintf(s.stdout, "%s: healthy\n", n.Name)
	return nil
}

// restartImages is what a restart needs to acquire an image.
type restartImages interface {
	EnsureImage(ctx context.Context, s *plan.ContainerSpec, p containerdrt.Progress) error
	ImageConfig(ctx context.Context, ref string) (plan.ImageConfig, error)
}

// ensureRestartImage acquires the image with the missing policy; a dockerfile image
// that exists is used as it is, even when its context changed since: restarts do not
// rebuild, they build only when the image is missing (docs/spec/runtime.md §9.7, §12.6 step 3).
func ensureRestartImage(ctx context.Context, rt restartImages, s *plan.ContainerSpec) error {
	if s.Build != nil {
		_, err := rt.ImageConfig(ctx, s.Image)
		if err == nil {
			return nil
		}
		if !errors.Is(err, containerdrt.ErrNotFound) {
			return err
		}
	}
	return rt.EnsureImage(ctx, s, nil)
}

// prepareWithPorts runs the port preflight (keeping previous host ports when free)
// and creates the container while holding the data-root lock (docs/spec/runtime.md §12.9).
func (s *session) prepareWithPorts(ctx context.Context, rt *containerdrt.Client, p *plan.Plan, n *plan.Node) (containerdrt.Container, error) {
	unlock, err := rt.LockDataRoot()
	if err != nil {
		return nil, err
	}
	defer unlock()
	rewrites, err := rt.PreflightPorts(ctx, p, false)
	if err != nil {
		return nil, err
	}
	for _, r := range rewrites {
		if r.Resource == n.Name {
			fmt.Fprintf(s.stdout, "%s: port %s:%d is in use; publishing %s:%d -> %d instead\n", r.Resource, r.HostIP, r.From, r.HostIP, r.To, r.Container)
		}
	}
	return rt.Prepare(ctx, &n.Spec)
}

// waitHealthy probes until the first pass, the readiness deadline, or an exit
// (docs/spec/runtime.md §11.4): a simplified schedule of start_interval spacing.
func waitHealthy(ctx context.Context, rt *containerdrt.Client, c containerdrt.Container, h *plan.Healthcheck, redact func(string) string) error {
	deadline := time.NewTimer(h.Deadline())
	defer deadline.Stop()
	if h.TCPPort != 0 {
		addr := net.JoinHostPort(c.IP(), strconv.Itoa(int(h.TCPPort)))
		pctx, cancel := context.WithTimeout(ctx, h.Deadline())
		err := rt.WaitPort(pctx, addr)
		cancel()
		if err != nil {
			return fmt.Errorf("port %s did not open within %s", addr, h.Deadline())
		}
	}
	last := "no probe ran"
	for {
		res, err := actors.RunProbe(ctx, rt, c.ID(), c.IP(), h)
		switch {
		case err == nil && !res.TimedOut && res.ExitCode == 0:
			return nil
		case err != nil:
			last = err.Error()
		case res.TimedOut:
			last = "timed out after " + h.Timeout.String()
		case h.Native != nil:
			last = res.Output
		default:
			last = fmt.Sprintf("exit code %d", res.ExitCode)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ex, ok := <-c.Exited():
			if ok {
				return fmt.Errorf("exited with code %d before becoming ready", ex.Code)
			}
			return errors.New("exited before becoming ready")
		case <-deadline.C:
			return fmt.Errorf("healthcheck did not pass within %s (last probe: %s)", h.Deadline(), redact(last))
		case <-time.After(h.StartInterval):
		}
	}
}
