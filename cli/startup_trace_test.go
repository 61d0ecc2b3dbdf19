package cli

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/plan"
)

// tracePlan is db <- api <- web, plus cache that web also needs.
func tracePlan() *plan.Plan {
	return &plan.Plan{Project: "shop", Nodes: []*plan.Node{
		{Name: "db"}, {Name: "cache"}, {Name: "api", DependsOn: []string{"db"}}, {Name: "web", DependsOn: []string{"api", "cache"}},
	}}
}

// phases records image/prepare/start/readiness of r, each phase d long, from
// begin+at; the readiness lasts ready.
func phases(tr *startupTrace, r string, at, d, ready time.Duration) {
	t0 := tr.begin.Add(at)
	for i, ph := range []string{actors.PhaseImage, actors.PhasePrepare, actors.PhaseStart} {
		tr.phase(actors.PhaseSpan{Resource: r, Phase: ph, Start: t0.Add(time.Duration(i) * d), End: t0.Add(time.Duration(i+1) * d)})
	}
	tr.phase(actors.PhaseSpan{Resource: r, Phase: actors.PhaseReadiness, Start: t0.Add(3 * d), End: t0.Add(3*d + ready)})
}

// docs/spec/runtime.md §20.4: the critical path walks back from the resource ready last
// through the dependency each one waited for last.
func TestCriticalPath(t *testing.T) {
	begin := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tr := newStartupTrace(tracePlan(), begin)
	phases(tr, "db", 0, 100*time.Millisecond, 1400*time.Millisecond)   // ready at 1.7s
	phases(tr, "cache", 0, 100*time.Millisecond, 100*time.Millisecond) // ready at 0.4s
	phases(tr, "api", 1700*time.Millisecond, 0, 300*time.Millisecond)  // started when db was: ready at 2.0s
	phases(tr, "web", 2000*time.Millisecond, 0, 200*time.Millisecond)  // ready at 2.2s
	if got, want := tr.criticalLine(), "critical path: db 1.7s -> api 0.3s -> web 0.2s"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
	// A resource whose own image took longer than its dependency: the path starts there.
	tr = newStartupTrace(tracePlan(), begin)
	phases(tr, "db", 0, 10*time.Millisecond, 90*time.Millisecond) // ready at 0.12s
	phases(tr, "api", 0, 1*time.Second, 500*time.Millisecond)     // prepared at 2s, ready at 3.5s
	if got, want := tr.criticalLine(), "critical path: api 3.5s"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
	if got := newStartupTrace(tracePlan(), begin).criticalLine(); got != "" {
		t.Errorf("nothing ready, line %q", got)
	}
}

// The view and the OTLP encoding: a root span, a span per resource, its phases as
// children; phases after the end of the startup are not part of it.
func TestStartupTraceViewAndOTLP(t *testing.T) {
	begin := time.Now().Add(-time.Second)
	tr := newStartupTrace(tracePlan(), begin)
	phases(tr, "db", 0, 10*time.Millisecond, 20*time.Millisecond)
	tr.phase(actors.PhaseSpan{Resource: "api", Phase: actors.PhaseImage, Start: begin, End: begin.Add(time.Millisecond), Err: "pull failed"})
	tr.finish(begin.Add(100*time.Millisecond), false)
	phases(tr, "cache", 0, 10*time.Millisecond, 20*time.Millisecond) // a restart after the startup
	v := tr.view()
	if v.Status != startupFailed || v.DurationMS != 100 || len(v.Resources) != 4 || len(v.Resources[0].Phases) != 4 ||
		v.Resources[0].DurationMS != 50 || len(v.Resources[1].Phases) != 0 || v.Resources[2].Phases[0].Error != "pull failed" {
		t.Fatalf("view %+v", v)
	}
	body, err := tr.otlp()
	if err != nil {
		t.Fatal(err)
	}
	td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(body)
	if err != nil {
		t.Fatal(err)
	}
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	if sn, _ := td.ResourceSpans().At(0).Resource().Attributes().Get("service.name"); sn.Str() != "lsctl" || spans.Len() != 1+2+5 {
		t.Fatalf("service %q, %d spans", sn.Str(), spans.Len())
	}
	root := spans.At(0)
	if root.Name() != "up shop" || root.Status().Code() != ptrace.StatusCodeError || !root.ParentSpanID().IsEmpty() {
		t.Errorf("root span %s %v", root.Name(), root.Status().Code())
	}
	if db := spans.At(1); db.Name() != "resource db" || db.ParentSpanID() != root.SpanID() || spans.At(2).ParentSpanID() != db.SpanID() {
		t.Errorf("resource span %s parent %s", db.Name(), db.ParentSpanID())
	}
	if img := spans.At(7); img.Name() != "image" || img.Status().Message() != "pull failed" {
		t.Errorf("failed phase span %s %q", img.Name(), img.Status().Message())
	}
}
