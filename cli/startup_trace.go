package cli

import (
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/plan"
)

// Startup statuses of lsctl's own trace.
const (
	startupRunning = "starting"
	startupReady   = "ready"
	startupFailed  = "failed"
)

// startupTrace is lsctl's own trace of one up (docs/spec/runtime.md §20.4): a root span for
// the startup, one span per resource, and below each the image, prepare, start and
// readiness phases the actors report. Phases reported after the startup ended
// (restarts) are not part of it.
type startupTrace struct {
	mu      sync.Mutex
	project string
	nodes   []*plan.Node
	traceID pcommon.TraceID
	rootID  pcommon.SpanID
	begin   time.Time
	end     time.Time
	status  string
	phases  map[string]map[string]actors.PhaseSpan // resource -> phase -> span
	ids     map[string]pcommon.SpanID              // resource and resource/phase span IDs
}

func newStartupTrace(p *plan.Plan, begin time.Time) *startupTrace {
	t := &startupTrace{project: p.Project, nodes: p.Nodes, begin: begin, status: startupRunning,
		phases: map[string]map[string]actors.PhaseSpan{}, ids: map[string]pcommon.SpanID{}}
	_, _ = rand.Read(t.traceID[:])
	t.rootID = newSpanID()
	return t
}

func newSpanID() pcommon.SpanID {
	var id pcommon.SpanID
	_, _ = rand.Read(id[:])
	return id
}

// phase records one phase while the startup runs (actors.Options.Phase).
func (t *startupTrace) phase(s actors.PhaseSpan) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.status != startupRunning {
		return
	}
	if t.phases[s.Resource] == nil {
		t.phases[s.Resource] = map[string]actors.PhaseSpan{}
	}
	t.phases[s.Resource][s.Phase] = s
}

// finish ends the trace at stack_started (ready) or at the end of a failed startup.
func (t *startupTrace) finish(at time.Time, ready bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.status != startupRunning {
		return
	}
	t.end, t.status = at, startupFailed
	if ready {
		t.status = startupReady
	}
}

// spanID returns the stable span ID of a resource ("db") or phase ("db/image").
// The caller holds mu.
func (t *startupTrace) spanID(key string) pcommon.SpanID {
	id, ok := t.ids[key]
	if !ok {
		id = newSpanID()
		t.ids[key] = id
	}
	return id
}

// pathStep is one resource of the critical path and the time it added.
type pathStep struct {
	Resource   string  `json:"resource"`
	DurationMS float64 `json:"duration_ms"`
}

// criticalPath is the chain of resources that decided when the stack was ready:
// from the resource ready last, back through the dependency it waited for last, as
// long as it did wait (its container was prepared before that dependency was ready).
// Each step is the time from the previous step's readiness (or the start of up) to
// its own. The caller holds mu.
func (t *startupTrace) criticalPath() []pathStep {
	ready := func(r string) (time.Time, bool) {
		s, ok := t.phases[r][actors.PhaseReadiness]
		return s.End, ok && s.Err == ""
	}
	var last string
	var lastAt time.Time
	for _, n := range t.nodes {
		if at, ok := ready(n.Name); ok && (last == "" || at.After(lastAt)) {
			last, lastAt = n.Name, at
		}
	}
	if last == "" {
		return nil
	}
	chain := []string{last}
	for cur := t.nodeOf(last); cur != nil; {
		var gate string
		var gateAt time.Time
		for _, d := range cur.DependsOn {
			if at, ok := ready(d); ok && (gate == "" || at.After(gateAt)) {
				gate, gateAt = d, at
			}
		}
		if gate == "" || gateAt.Before(t.phases[cur.Name][actors.PhasePrepare].End) {
			break // its own image or container took longer than its dependencies
		}
		chain = append(chain, gate)
		cur = t.nodeOf(gate)
	}
	slices.Reverse(chain)
	steps := make([]pathStep, len(chain))
	from := t.begin
	for i, r := range chain {
		at, _ := ready(r)
		steps[i] = pathStep{Resource: r, DurationMS: ms(at.Sub(from))}
		from = at
	}
	return steps
}

func (t *startupTrace) nodeOf(name string) *plan.Node {
	for _, n := range t.nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// criticalLine is the line up prints after ready: `critical path: db 1.7s -> api 0.3s`.
func (t *startupTrace) criticalLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	steps := t.criticalPath()
	if len(steps) == 0 {
		return ""
	}
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = fmt.Sprintf("%s %.1fs", s.Resource, s.DurationMS/1000)
	}
	return "critical path: " + strings.Join(parts, " -> ")
}

// startupView is GET /api/startup (docs/spec/runtime.md §20.5).
type startupView struct {
	TraceID      string            `json:"trace_id"`
	Project      string            `json:"project"`
	Status       string            `json:"status"`
	Start        time.Time         `json:"start"`
	End          *time.Time        `json:"end"`
	DurationMS   float64           `json:"duration_ms"`
	Resources    []startupResource `json:"resources"`
	CriticalPath []pathStep        `json:"critical_path"`
}

type startupResource struct {
	Name       string         `json:"name"`
	SpanID     string         `json:"span_id"`
	DependsOn  []string       `json:"depends_on"`
	Start      *time.Time     `json:"start"`
	End        *time.Time     `json:"end"`
	DurationMS float64        `json:"duration_ms"`
	Phases     []startupPhase `json:"phases"`
}

type startupPhase struct {
	Name       string    `json:"name"`
	SpanID     string    `json:"span_id"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	DurationMS float64   `json:"duration_ms"`
	Error      string    `json:"error,omitempty"`
}

// phaseOrder is the order of a resource's phases.
var phaseOrder = []string{actors.PhaseImage, actors.PhasePrepare, actors.PhaseStart, actors.PhaseReadiness}

// view returns the trace as the control API shows it.
func (t *startupTrace) view() startupView {
	t.mu.Lock()
	defer t.mu.Unlock()
	v := startupView{TraceID: t.traceID.String(), Project: t.project, Status: t.status, Start: t.begin.UTC(),
		CriticalPath: t.criticalPath(), Resources: []startupResource{}}
	end := time.Now()
	if !t.end.IsZero() {
		e := t.end.UTC()
		v.End, end = &e, t.end
	}
	v.DurationMS = ms(end.Sub(t.begin))
	if v.CriticalPath == nil {
		v.CriticalPath = []pathStep{}
	}
	for _, n := range t.nodes {
		v.Resources = append(v.Resources, t.resourceView(n))
	}
	return v
}

// resourceView spans a resource from its first phase's start to its last phase's end.
// The caller holds mu.
func (t *startupTrace) resourceView(n *plan.Node) startupResource {
	r := startupResource{Name: n.Name, SpanID: t.spanID(n.Name).String(), DependsOn: append([]string{}, n.DependsOn...),
		Phases: []startupPhase{}}
	for _, name := range phaseOrder {
		s, ok := t.phases[n.Name][name]
		if !ok {
			continue
		}
		r.Phases = append(r.Phases, startupPhase{Name: name, SpanID: t.spanID(n.Name + "/" + name).String(),
			Start: s.Start.UTC(), End: s.End.UTC(), DurationMS: ms(s.End.Sub(s.Start)), Error: s.Err})
		if r.Start == nil || s.Start.Before(*r.Start) {
			st := s.Start.UTC()
			r.Start = &st
		}
		if r.End == nil || s.End.After(*r.End) {
			en := s.End.UTC()
			r.End = &en
		}
	}
	if r.Start != nil {
		r.DurationMS = ms(r.End.Sub(*r.Start))
	}
	return r
}

// otlp encodes the trace as an OTLP/HTTP protobuf export request, for the external
// collector: service.name "lsctl", the project as lightshuttle.project.
func (t *startupTrace) otlp() ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "lsctl")
	rs.Resource().Attributes().PutStr(plan.LabelProject, t.project)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("github.com/lightshuttle/lsctl")
	spans := ss.Spans()
	end := t.end
	if end.IsZero() {
		end = time.Now()
	}
	root := addSpan(spans, t.traceID, t.rootID, pcommon.SpanID{}, "up "+t.project, t.begin, end, "")
	if t.status == startupFailed {
		root.Status().SetCode(ptrace.StatusCodeError)
	}
	for _, n := range t.nodes {
		r := t.resourceView(n)
		if r.Start == nil {
			continue
		}
		id := t.spanID(n.Name)
		addSpan(spans, t.traceID, id, t.rootID, "resource "+n.Name, *r.Start, *r.End, "").
			Attributes().PutStr(plan.LabelResource, n.Name)
		for _, ph := range r.Phases {
			addSpan(spans, t.traceID, t.spanID(n.Name+"/"+ph.Name), id, ph.Name, ph.Start, ph.End, ph.Error).
				Attributes().PutStr(plan.LabelResource, n.Name)
		}
	}
	return (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
}

func addSpan(spans ptrace.SpanSlice, trace pcommon.TraceID, id, parent pcommon.SpanID, name string, start, end time.Time, errText string) ptrace.Span {
	s := spans.AppendEmpty()
	s.SetTraceID(trace)
	s.SetSpanID(id)
	s.SetParentSpanID(parent)
	s.SetName(name)
	s.SetKind(ptrace.SpanKindInternal)
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(end))
	if errText != "" {
		s.Status().SetCode(ptrace.StatusCodeError)
		s.Status().SetMessage(errText)
	}
	return s
}
