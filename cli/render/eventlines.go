package render

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/plan"
)

// viewSource is where the event renderer reads a resource's current view.
type viewSource interface {
	Get(name string) (actors.View, bool)
}

// EventLines turns lifecycle events into the plain lines of docs/spec/runtime.md §16.3. It is
// used by one goroutine (the event loop) and keeps per-resource start times.
type EventLines struct {
	plan    *plan.Plan
	subnet  string // the project network's, when known before it is ensured
	views   viewSource
	started map[string]time.Time
	ready   bool // stack_started seen: later healthy events are health changes
	// healthy and waited record, during startup, the resources that have been ready
	// and those whose waiting line was printed.
	wasReady, waited map[string]bool
}

// NewEventLines renders the events of p's stack; v gives the resources' current views.
func NewEventLines(p *plan.Plan, v viewSource, subnet string) *EventLines {
	return &EventLines{plan: p, views: v, subnet: subnet, started: map[string]time.Time{},
		wasReady: map[string]bool{}, waited: map[string]bool{}}
}

// Waiting returns the `<resource>: waiting for <deps>` lines that e prompts during
// startup: when a dependency has started, each resource depending on it that has not
// started says once which of its dependencies it still waits for (docs/spec/runtime.md §16.3).
func (el *EventLines) Waiting(e actors.Event) []string {
	if el.ready {
		return nil
	}
	switch e.Type {
	case actors.ResourceHealthy:
		el.wasReady[e.Resource] = true
		return nil
	case actors.ResourceStarting:
		el.waited[e.Resource] = true // starting already: no waiting line any more
		return nil
	case actors.ResourceStarted:
	default:
		return nil
	}
	var lines []string
	for _, n := range el.plan.Nodes {
		if el.waited[n.Name] || !slices.Contains(n.DependsOn, e.Resource) {
			continue
		}
		var pending []string
		for _, d := range n.DependsOn {
			if !el.wasReady[d] {
				pending = append(pending, d)
			}
		}
		if len(pending) > 0 {
			el.waited[n.Name] = true
			lines = append(lines, fmt.Sprintf("%s: waiting for %s", n.Name, strings.Join(pending, ", ")))
		}
	}
	return lines
}

// MarkStarted says the stack has already started: healthy events are health
// changes and no waiting lines are printed (an attach to a running stack).
func (el *EventLines) MarkStarted() { el.ready = true }

// Render returns the line for e, or "" for events that print nothing.
func (el *EventLines) Render(e actors.Event) string {
	r := e.Resource
	switch e.Type {
	case actors.StackStarting:
		line := fmt.Sprintf("[%s] starting %d resource(s) on %s", el.plan.Project, len(el.plan.Nodes), plan.NetworkName(el.plan.Project))
		if el.subnet != "" {
			line += " (" + el.subnet + ")"
		}
		return line
	case actors.StackStarted:
		el.ready = true
		return ""
	case actors.StackStopped:
		return fmt.Sprintf("[%s] stopped", el.plan.Project)
	case actors.ResourcePulling:
		return fmt.Sprintf("%s: pulling %s", r, e.Image)
	case actors.ResourceBuilding:
		return fmt.Sprintf("%s: building %s", r, e.Image)
	case actors.ResourceStarting:
		return r + ": starting"
	case actors.ResourceStarted:
		el.started[r] = e.TS
		return fmt.Sprintf("%s: started (%s)", r, el.startedDetail(r, e.ContainerID))
	case actors.ResourceHealthy:
		return el.healthy(r, e.TS)
	case actors.ResourceUnhealthy:
		return r + ": unhealthy"
	case actors.ResourceExited:
		code := "unknown"
		if e.ExitCode != nil {
			code = fmt.Sprint(*e.ExitCode)
		}
		return fmt.Sprintf("%s: exited with code %s", r, code)
	case actors.ResourceFailed:
		if dep, ok := failedDependency(e.Error); ok {
			return fmt.Sprintf("%s: not started (dependency %s failed)", r, dep)
		}
		return fmt.Sprintf("%s: failed: %s", r, e.Error)
	case actors.ResourceRestarting:
		return fmt.Sprintf("%s: restarting (attempt %d)", r, e.Attempt)
	case actors.ResourceWaiting:
		return fmt.Sprintf("%s: still waiting for containerd to %s after %s (task: %s)", r, waitingFor(e.Step), e.Waited.Round(time.Second), e.Task)
	case actors.ResourceStopped:
		if el.plan.Node(r) == nil { // an orphan the supervisor removed (docs/spec/runtime.md §4.4)
			return r + ": removed (not in the manifest)"
		}
		return r + ": stopped"
	}
	return ""
}

// startedDetail is "container <id>, <ip>, <host>:<port>-><container>...".
func (el *EventLines) startedDetail(r, id string) string {
	parts := []string{"container " + id}
	if v, ok := el.views.Get(r); ok {
		if v.IP != nil && *v.IP != "" {
			parts = append(parts, *v.IP)
		}
		if len(v.Ports) > 0 {
			parts = append(parts, PortsColumn(v.Ports))
		}
	}
	return strings.Join(parts, ", ")
}

// healthy is "healthy after <d>" for a first readiness with a healthcheck, "running"
// without one, and "healthy" for a later health change.
func (el *EventLines) healthy(r string, at time.Time) string {
	n := el.plan.Node(r)
	if n == nil || n.Health == nil {
		return r + ": running"
	}
	start, ok := el.started[r]
	if !ok || el.ready {
		return r + ": healthy"
	}
	delete(el.started, r)
	return fmt.Sprintf("%s: healthy after %s", r, RoundDuration(at.Sub(start)))
}

// failedDependency extracts <dep> from `not started: dependency "<dep>" failed`.
func failedDependency(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, `not started: dependency "`)
	if !ok {
		return "", false
	}
	dep, _, ok := strings.Cut(rest, `"`)
	return dep, ok
}

// RoundDuration shows a duration with one decimal of seconds (1.4s) or whole
// milliseconds under a second.
func RoundDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// waitingFor names the step a resource_waiting event waits for.
func waitingFor(step string) string {
	if step == actors.PhaseStart {
		return "start the task"
	}
	return "create or adopt the container"
}

// PortsColumn renders host_ip:host_port->container_port, comma-separated.
func PortsColumn(ports []plan.PortBinding) string {
	if len(ports) == 0 {
		return "-"
	}
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = fmt.Sprintf("%s:%d->%d", p.HostIP, p.HostPort, p.ContainerPort)
		if p.RequestedHostPort != 0 && p.RequestedHostPort != p.HostPort {
			parts[i] += fmt.Sprintf(" (requested %d)", p.RequestedHostPort)
		}
	}
	return strings.Join(parts, ", ")
}
