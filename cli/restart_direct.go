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

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// restartDirect restarts one resource through containerd when no `up` runs
// (runtime.md §12.6 direct mode): project lock, current manifest, existing network.
func (s *session) restartDirect(ctx context.Context, ld *loaded, resource string) error {
	m := ld.manifest
	project := m.Project.Name.Value
	if !slices.ContainsFunc(m.Resources, func(r *manifest.Resource) bool { return r.Name == resource }) {
		return fmt.Errorf("unknown resource %q in project %q", resource, project)
	}
	if err := s.ensureDataRoot(); err != nil {
		return err
	}
	lock, err := containerdrt.LockProject(s.opts.DataRoot, project, "restart")
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
	// The same OTEL_* variables as up gives (runtime.md §20.2), so that the next up
	// adopts the new container; there is no --no-otel here: the manifest decides.
	if otelSettings(m, false).enabled {
		subnet, err := rt.ReserveNetwork(project)
		if err != nil {
			return err
		}
		p.InjectOTel(receiverURL(gatewayOf(subnet)))
	}
	sigs, stop := s.notifySignals()
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	result := make(chan error, 1)
	go func() { result <- s.restartOne(ctx, rt, p, resource) }()
	select {
	case err := <-result:
		if err != nil {
			// Runtime errors may relay registry or probe text: never show secrets (§8.4).
			return errors.New(p.Redactor().Redact(err.Error()))
		}
		return nil
	case sig := <-sigs:
		cancel()
		<-result
		return signalExit(sig)
	}
}

// restartOne stops and removes the resource's container, then starts a fresh one and
// waits for its readiness, printing the lines of runtime.md §16.7.
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
	// Manual restarts count too, persisted in the restarts label (runtime.md §14).
	labels := maps.Clone(n.Spec.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[plan.LabelRestarts] = strconv.Itoa(restarts + 1)
	n.Spec.Labels = labels
	if err := ensureRestartImage(ctx, rt, &n.Spec); err != nil {
		return fmt.Errorf("restart of %q failed: %w", resource, err)
	}
	c, err := s.prepareWithPorts(ctx, rt, p, n)
	if err != nil {
		return fmt.Errorf("restart of %q failed: %w", resource, err)
	}
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("restart of %q failed: %w", resource, err)
	}
	fmt.Fprintf(s.stdout, "%s: started\n", resource)
	if n.Health == nil {
		fmt.Fprintf(s.stdout, "%s: running\n", resource)
		return nil
	}
	if err := waitHealthy(ctx, rt, c, n.Health, p.Redactor().Redact); err != nil {
		return fmt.Errorf("restart of %q failed: %w", resource, err)
	}
	fmt.Fprintf(s.stdout, "%s: healthy\n", resource)
	return nil
}

// restartImages is what a restart needs to acquire an image.
type restartImages interface {
	EnsureImage(ctx context.Context, s *plan.ContainerSpec, p containerdrt.Progress) error
	ImageConfig(ctx context.Context, ref string) (plan.ImageConfig, error)
}

// ensureRestartImage acquires the image with the missing policy; a dockerfile image
// that exists is used as it is, even when its context changed since: restarts do not
// rebuild, they build only when the image is missing (runtime.md §9.7, §12.6 step 3).
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
// and creates the container while holding the data-root lock (runtime.md §12.9).
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
// (runtime.md §11.4): a simplified schedule of start_interval spacing.
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
	env := make([]string, 0, len(h.Env))
	for _, e := range h.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	last := "no probe ran"
	for {
		res, err := rt.Exec(ctx, c.ID(), containerdrt.ExecRequest{Argv: h.Argv, Env: env, Timeout: h.Timeout})
		switch {
		case err == nil && !res.TimedOut && res.ExitCode == 0:
			return nil
		case err != nil:
			last = err.Error()
		case res.TimedOut:
			last = "timed out after " + h.Timeout.String()
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
