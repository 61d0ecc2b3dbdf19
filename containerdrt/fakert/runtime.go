package fakert

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

// EnsureImage reports the configured phase, waits the pull latency and returns the
// injected failure.
func (r *Runtime) EnsureImage(ctx context.Context, s *plan.ContainerSpec, p containerdrt.Progress) error {
	b := r.record("ensure-image", s.Resource, s.ID)
	if err := r.gate(ctx, "ensure-image"); err != nil {
		return err
	}
	phase := b.ImagePhase
	if phase == "" {
		phase = containerdrt.PhasePulling
	}
	if p != nil {
		p(containerdrt.ProgressUpdate{Phase: phase, Ref: s.Image})
	}
	if err := sleep(ctx, b.Pull); err != nil {
		return err
	}
	return b.ImageErr
}

// EnsureNetwork records the project network as present.
func (r *Runtime) EnsureNetwork(ctx context.Context, p *plan.Plan) error {
	r.record("ensure-network", "", p.Project)
	if err := r.outage("ensure-network"); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.networkErr != nil {
		return r.networkErr
	}
	r.networks[p.Project] = true
	return ctx.Err()
}

// TeardownNetwork removes the project network; a missing one is success.
func (r *Runtime) TeardownNetwork(ctx context.Context, project string) error {
	r.record("teardown-network", "", project)
	if err := r.outage("teardown-network"); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.networks, project)
	return nil
}

// Prepare creates the container (removing a stale one with the same ID) with its task
// created but not started.
func (r *Runtime) Prepare(ctx context.Context, s *plan.ContainerSpec) (containerdrt.Container, error) {
	b := r.record("prepare", s.Resource, s.ID)
	if err := r.gate(ctx, "prepare"); err != nil {
		return nil, err
	}
	if err := sleep(ctx, b.Prepare); err != nil {
		return nil, err
	}
	if b.PrepareErr != nil {
		return nil, b.PrepareErr
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	serial := 0
	if old := r.containers[s.ID]; old != nil {
		old.exit(137)
		if old.handStopped { // kept by StopByHand: a new task in the same container
			serial = old.serial
			r.revived[s.Resource]++
		}
	}
	if serial == 0 {
		r.nextIP++
		serial = r.nextIP
	}
	ip := fmt.Sprintf("10.213.%d.%d", serial/250, serial%250+2)
	if s.IP.IsValid() {
		ip = s.IP.String()
	}
	c := &container{
		rt: r, id: s.ID, resource: s.Resource, project: s.Project, ip: ip, adopted: b.Adopt, serial: serial,
		ports:  append([]plan.PortBinding(nil), s.Ports...),
		exitCh: make(chan containerdrt.ExitStatus, 1), killed: make(chan struct{}),
	}
	c.watchers = []chan containerdrt.ExitStatus{c.exitCh}
	if b.Adopt {
		c.started, c.startedAt = true, time.Now()
	}
	r.containers[s.ID] = c
	return c, nil
}

func (r *Runtime) find(id string) *container {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.containers[id]
}

func (r *Runtime) resourceOf(id string) string {
	if c := r.find(id); c != nil {
		return c.resource
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.managed {
		if m.ID == id {
			return m.Resource
		}
	}
	return ""
}

// Stop waits the stop latency (or the whole grace when the task ignores SIGTERM) unless
// Kill interrupts it, then ends the task: 143 when stopped by the signal, 137 when killed.
func (r *Runtime) Stop(ctx context.Context, id string, signal string, grace time.Duration) (int, error) {
	b := r.record("stop", r.resourceOf(id), id)
	if err := r.gate(ctx, "stop"); err != nil {
		return 0, fmt.Errorf("stopping %s: %w", id, err)
	}
	c := r.find(id)
	if c == nil || !c.isRunning() {
		if c != nil {
			return c.exit(0), nil
		}
		return 0, nil
	}
	wait, code := b.Stop, 143
	if b.IgnoreTerm || wait > grace {
		wait, code = grace, 137
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return c.exit(code), b.StopErr
	case <-c.killed:
		return c.exit(137), b.StopErr
	case <-ctx.Done():
		return 0, fmt.Errorf("stopping %s: %w", id, ctx.Err())
	}
}

// Kill ends the task at once with 137.
func (r *Runtime) Kill(ctx context.Context, id string) error {
	r.record("kill", r.resourceOf(id), id)
	if err := r.gate(ctx, "kill"); err != nil {
		return err
	}
	if c := r.find(id); c != nil {
		c.exit(137)
	}
	return nil
}

// Remove deletes the container (ending its task if still running) or a pre-existing
// managed one; missing is fine.
func (r *Runtime) Remove(ctx context.Context, id string) error {
	r.record("remove", r.resourceOf(id), id)
	if err := r.gate(ctx, "remove"); err != nil {
		return err
	}
	r.mu.Lock()
	c := r.containers[id]
	delete(r.containers, id)
	kept := r.managed[:0]
	for _, m := range r.managed {
		if m.ID != id {
			kept = append(kept, m)
		}
	}
	r.managed = kept
	r.mu.Unlock()
	if c != nil {
		c.exit(137)
	}
	return nil
}

// Exec runs a probe: it lasts ProbeLatency and passes per Probe or ProbePassAfter.
func (r *Runtime) Exec(ctx context.Context, id string, req containerdrt.ExecRequest) (containerdrt.ExecResult, error) {
	b := r.record("exec", r.resourceOf(id), id)
	if err := r.gate(ctx, "exec"); err != nil {
		return containerdrt.ExecResult{}, err
	}
	c := r.find(id)
	if c == nil {
		return containerdrt.ExecResult{}, fmt.Errorf("exec in %s: %w", id, containerdrt.ErrNotFound)
	}
	return r.probeResult(ctx, c, b, req.Timeout)
}

// Probe is a native probe of the container at ip: recorded as "probe", it behaves as
// Exec does and never reaches containerd, so an outage does not fail it.
func (r *Runtime) Probe(ctx context.Context, ip string, _ plan.NativeProbe, timeout time.Duration) (containerdrt.ExecResult, error) {
	c := r.byIP(ip)
	if c == nil {
		return containerdrt.ExecResult{ExitCode: 1, Output: "connect to " + ip + ": no route to host"}, nil
	}
	b := r.record("probe", c.resource, c.id)
	if err := r.answer(ctx); err != nil {
		return containerdrt.ExecResult{}, err
	}
	return r.probeResult(ctx, c, b, timeout)
}

// probeResult waits the probe latency and judges the probe per the behavior.
func (r *Runtime) probeResult(ctx context.Context, c *container, b Behavior, timeout time.Duration) (containerdrt.ExecResult, error) {
	if b.ProbeBlock != nil {
		b.ProbeBlock()
	}
	lat := b.ProbeLatency
	if timeout > 0 && lat > timeout {
		if err := sleep(ctx, timeout); err != nil {
			return containerdrt.ExecResult{}, err
		}
		return containerdrt.ExecResult{ExitCode: -1, TimedOut: true, Output: "probe timed out"}, nil
	}
	if err := sleep(ctx, lat); err != nil {
		return containerdrt.ExecResult{}, err
	}
	since, running := c.sinceStart()
	if !running {
		return containerdrt.ExecResult{}, fmt.Errorf("probe of %s: task not running", c.id)
	}
	c.mu.Lock()
	c.probes++
	n := c.probes
	c.mu.Unlock()
	pass := since >= b.ProbePassAfter
	if b.Probe != nil {
		pass = b.Probe(n, since)
	}
	if pass {
		return containerdrt.ExecResult{ExitCode: 0, Output: "ok"}, nil
	}
	return containerdrt.ExecResult{ExitCode: 1, Output: "not ready"}, nil
}

// byIP is the container with that address, or nil.
func (r *Runtime) byIP(ip string) *container {
	r.mu.Lock()
	defer r.mu.Unlock()
	var c *container
	for _, x := range r.containers {
		if x.ip == ip {
			c = x
		}
	}
	return c
}

// WaitPort succeeds PortAfter after the task at the address's IP started.
func (r *Runtime) WaitPort(ctx context.Context, addr string) error {
	ip, _, _ := strings.Cut(addr, ":")
	c := r.byIP(ip)
	if c == nil {
		return fmt.Errorf("wait for %s: %w", addr, containerdrt.ErrNotFound)
	}
	b := r.record("wait-port", c.resource, c.id)
	if err := r.outage("wait-port"); err != nil {
		return err
	}
	since, _ := c.sinceStart()
	return sleep(ctx, b.PortAfter-since)
}

// List returns pre-existing managed containers and the fake's own containers of the
// project.
func (r *Runtime) List(ctx context.Context, project string) ([]containerdrt.Managed, error) {
	r.record("list", "", project)
	if err := r.gate(ctx, "list"); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []containerdrt.Managed
	for _, m := range r.managed {
		if m.Project == project {
			out = append(out, m)
		}
	}
	for _, c := range r.containers {
		if c.project != project {
			continue
		}
		out = append(out, containerdrt.Managed{ID: c.id, Project: project, Resource: c.resource, IP: c.ip, Running: c.isRunning()})
	}
	return out, nil
}

// Watch returns a new exit channel of container id's task: its exit once it happened
// (held during an outage), UnknownExitCode for a container or task that is gone.
func (r *Runtime) Watch(ctx context.Context, id string) (<-chan containerdrt.ExitStatus, error) {
	r.record("watch", r.resourceOf(id), id)
	if err := r.outage("watch"); err != nil {
		return nil, err
	}
	c := r.find(id)
	if c == nil || c.neverRan() {
		ch := make(chan containerdrt.ExitStatus, 1)
		ch <- containerdrt.ExitStatus{Code: containerdrt.UnknownExitCode, At: time.Now()}
		close(ch)
		return ch, nil
	}
	return c.watch(), nil
}

// Health is nil unless an outage is simulated.
func (r *Runtime) Health(ctx context.Context) error {
	return r.outage("health")
}

// TaskState is "created", "running", "stopped", "no task yet", or "containerd does not
// answer" while frozen past ctx's end.
func (r *Runtime) TaskState(ctx context.Context, id string) string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := r.answer(ctx); err != nil {
		return "containerd does not answer"
	}
	c := r.find(id)
	if c == nil {
		return "no task yet"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.exited:
		return "stopped"
	case c.started:
		return "running"
	}
	return "created"
}
