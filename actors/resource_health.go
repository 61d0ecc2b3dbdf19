package actors

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

// Probe schedule bounds during the start period (docs/spec/runtime.md §11.2). The spec's formula
// names a 25 ms floor but also caps exec probes at 10 per second; a 100 ms floor keeps
// both tested bounds (that cap, and readiness by 1.3 × T + 100 ms), so it wins.
const (
	minStartGap = 100 * time.Millisecond
	portRetry   = 10 * time.Millisecond
	// defaultInterval replaces a zero interval (Docker's default) so probes never spin.
	defaultInterval = 30 * time.Second
	maxOutput       = 200 // characters of probe output kept in a failure summary
)

// readiness is where an incarnation stands towards its probe (docs/spec/runtime.md §11.4):
// an unready one has never passed; a ready one is unhealthy after Retries failures in a
// row and healthy again with the next pass.
type readiness uint8

const (
	notReady readiness = iota
	readyHealthy
	readyUnhealthy
)

// ready reports whether the incarnation has become ready, healthy or not since.
func (r readiness) ready() bool { return r != notReady }

// healthState is the probe bookkeeping of one incarnation (docs/spec/runtime.md §11).
type healthState struct {
	taskStart time.Time
	// readinessFrom is taskStart on Options.Now's clock, for the readiness phase.
	readinessFrom time.Time
	probing       bool
	passedOnce    bool
	readiness     readiness
	failures      int    // consecutive counted failures
	last          string // summary of the last probe, for the deadline message
	deadline      time.Duration
	// unreachable: the last probe failed because containerd did not answer.
	unreachable bool
	lostWatches int // Exited channels that closed without a status
}

// stateStarting: the task is being started, then probed until ready.
func (a *resource) stateStarting(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case startDone:
		a.onStarted(m)
	case portOpen:
		switch {
		case !a.current(m):
		case m.err == nil:
			a.probe()
		case a.ctx.Err() == nil: // refused before the runtime's own wait: try again
			a.after(a.ctx, portRetry, tickPort, 0)
		}
	case probeDone:
		a.onProbe(m)
	case tick:
		a.onHealthTick(m)
	case exited:
		if a.observed(m) {
			a.recordExit(m.status.Code)
			a.fail(fmt.Sprintf("exited with code %d before becoming ready", m.status.Code))
		}
	case rewatched:
		a.onRewatched(m)
	default:
		a.common(ctx)
	}
}

// onStarted records the task start and begins readiness detection (§11.4).
func (a *resource) onStarted(m startDone) {
	if !a.current(m) {
		return
	}
	if m.err != nil {
		a.failBecause(fmt.Sprintf("starting task: %v", m.err), m.err)
		return
	}
	a.health.taskStart = time.Now()
	a.health.readinessFrom = a.o.Now()
	at := m.at
	a.views.update(a.node.Name, func(v *View) { v.StartedAt, v.ExitCode = &at, nil })
	a.emit(Event{Type: ResourceStarted, ContainerID: a.container.ID()})
	a.watchExit()
	h := a.node.Health
	if h == nil {
		a.becomeReady()
		return
	}
	a.health.deadline = h.Deadline()
	if a.o.WaitTimeout > 0 {
		a.health.deadline = a.o.WaitTimeout
	}
	a.after(a.ctx, a.health.deadline, tickDeadline, 0)
	if h.TCPPort == 0 {
		a.probe()
		return
	}
	a.waitPort()
}

// waitPort waits for the TCP port before exec probes (default postgres/redis checks).
func (a *resource) waitPort() {
	gen, ctx := a.gen, a.ctx
	addr := net.JoinHostPort(a.container.IP(), strconv.Itoa(int(a.node.Health.TCPPort)))
	a.run(func() opResult { return portOpen{opBase{gen}, a.rt.WaitPort(ctx, addr)} })
}

// watchExit turns the task's exit into a message.
func (a *resource) watchExit() { a.watch(a.container.Exited()) }

// watch turns the exit delivered on ch into a message.
func (a *resource) watch(ch <-chan containerdrt.ExitStatus) {
	gen, ctx := a.gen, a.ctx
	a.run(func() opResult {
		select {
		case st, ok := <-ch:
			return exited{opBase{gen}, st, ok}
		case <-ctx.Done():
			return exited{opBase: opBase{gen}}
		}
	})
}

// probe runs one probe unless one is already running (probes never overlap): native
// from the host when the healthcheck has one, else an exec in the task (§11.1).
func (a *resource) probe() {
	if a.health.probing {
		return
	}
	a.health.probing = true
	a.probesInFlight++
	h, gen, ctx, id, ip := a.node.Health, a.gen, a.ctx, a.container.ID(), a.container.IP()
	a.run(func() opResult {
		started := time.Now()
		res, err := RunProbe(ctx, a.rt, id, ip, h)
		return probeDone{opBase{gen}, res, err, started, time.Now()}
	})
}

// Prober is what runs a healthcheck: containerdrt.Runtime and its client.
type Prober interface {
	Exec(ctx context.Context, id string, req containerdrt.ExecRequest) (containerdrt.ExecResult, error)
	Probe(ctx context.Context, ip string, p plan.NativeProbe, timeout time.Duration) (containerdrt.ExecResult, error)
}

// RunProbe runs one probe of h against container id at ip: natively when h has a
// native probe, else by exec with the healthcheck's probe-only environment.
func RunProbe(ctx context.Context, rt Prober, id, ip string, h *plan.Healthcheck) (containerdrt.ExecResult, error) {
	if h.Native != nil {
		return rt.Probe(ctx, ip, *h.Native, h.Timeout)
	}
	req := containerdrt.ExecRequest{Argv: h.Argv, Timeout: h.Timeout}
	for _, e := range h.Env {
		req.Env = append(req.Env, e.Name+"="+e.Value)
	}
	return rt.Exec(ctx, id, req)
}

// onProbe counts the result (§11.3) and schedules the next probe (§11.2).
func (a *resource) onProbe(m probeDone) {
	if !a.current(m) {
		return
	}
	hs, h := &a.health, a.node.Health
	hs.probing = false
	if a.unreachable(m) {
		a.after(a.ctx, a.nextProbeDelay(m), tickProbe, 0)
		return
	}
	pass := m.err == nil && !m.res.TimedOut && m.res.ExitCode == 0
	inStart := !hs.passedOnce && m.started.Sub(hs.taskStart) < h.StartPeriod
	hs.last = probeSummary(m)
	if pass {
		hs.passedOnce, hs.failures = true, 0
		if !hs.readiness.ready() {
			a.becomeReady()
		} else if hs.readiness == readyUnhealthy {
			hs.readiness = readyHealthy
			a.setStatus(StatusHealthy)
			a.emit(Event{Type: ResourceHealthy})
		}
	} else if !inStart {
		hs.failures++
		if hs.readiness == readyHealthy && hs.failures >= h.Retries {
			hs.readiness = readyUnhealthy
			a.setStatus(StatusUnhealthy)
			a.emit(Event{Type: ResourceUnhealthy})
		}
	}
	a.after(a.ctx, a.nextProbeDelay(m), tickProbe, 0)
}

// nextProbeDelay: until the first pass the gap grows with the time since task start and
// is measured from the previous probe's start; afterwards it is interval from its end,
// or, for a native probe, the next instant aligned on interval (alignedDelay).
// The accelerated schedule lasts until the first pass even past start_period: failures
// before readiness never count (§11.3), and §11.2's bound (ready at T ⇒ reported by
// 1.3 × T + 100 ms) must hold with start_period 0s as well.
func (a *resource) nextProbeDelay(m probeDone) time.Duration {
	hs, h := &a.health, a.node.Health
	now := time.Now()
	elapsed := now.Sub(hs.taskStart)
	interval := h.Interval
	if interval <= 0 {
		interval = defaultInterval
	}
	if hs.passedOnce {
		if h.Native != nil {
			return alignedDelay(now, m.ended, interval)
		}
		return interval - now.Sub(m.ended)
	}
	maxGap := h.StartInterval
	if maxGap <= 0 {
		maxGap = interval
	}
	gap := min(max(elapsed/4, minStartGap), max(maxGap, minStartGap))
	return m.started.Add(gap).Sub(now)
}

// alignedDelay is how long from now until the probe after one that ended at ended: the
// first instant that is a multiple of interval on the clock and at least half an
// interval after ended. Every resource probed natively at the same interval then probes
// in the same instant, and lsctl wakes once per interval for all of them rather than
// once per resource: on an idle stack the wake-ups, not the probes, were most of
// lsctl's CPU (docs/spec/runtime.md §11.2). Exec probes are not aligned: each costs about
// 100 ms of CPU, and a burst of them would make one another time out.
func alignedDelay(now, ended time.Time, interval time.Duration) time.Duration {
	earliest := ended.Add(interval / 2)
	next := earliest.Truncate(interval) // on the wall clock, shared by every resource
	if next.Before(earliest) {
		next = next.Add(interval)
	}
	d := next.Sub(now)
	if d < 0 || d > 2*interval { // the wall clock jumped: fall back to interval from the end
		return interval - now.Sub(ended)
	}
	return d
}

// onHealthTick handles the probe, deadline, reset and port-retry timers.
func (a *resource) onHealthTick(m tick) {
	if !a.current(m) || m.cancelled {
		return
	}
	switch m.kind {
	case tickProbe:
		a.probe()
	case tickPort:
		a.waitPort()
	case tickDeadline:
		if !a.health.readiness.ready() {
			last := a.health.last
			if last == "" {
				last = "none"
			}
			a.fail(fmt.Sprintf("healthcheck did not pass within %s (last probe: %s)", a.health.deadline, last))
		}
	case tickReset:
		a.onResetTick(m)
	case tickRewatch:
		a.rewatch()
	}
}

// probeSummary describes a probe result for last_error (redacted when emitted).
func probeSummary(m probeDone) string {
	switch {
	case m.err != nil:
		if errorsIsContext(m.err) {
			return "cancelled"
		}
		return "error: " + m.err.Error()
	case m.res.TimedOut:
		return "timed out"
	}
	out := strings.TrimSpace(m.res.Output)
	if len(out) > maxOutput {
		out = out[:maxOutput] + "…"
	}
	if out == "" {
		return fmt.Sprintf("exit code %d", m.res.ExitCode)
	}
	return fmt.Sprintf("exit code %d: %s", m.res.ExitCode, out)
}

// errorsIsContext reports an error caused by cancellation, not by the probe.
func errorsIsContext(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
