package otlpreceiver

import (
	"slices"
	"strings"
	"time"
)

// Store holds what the receiver kept: one ring per signal.
type Store struct {
	spans   *ring[Span]
	logs    *ring[LogRecord]
	metrics *ring[MetricPoint]
}

// NewStore makes a store keeping the newest buffer items of each signal.
func NewStore(buffer int) *Store {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	return &Store{spans: newRing[Span](buffer), logs: newRing[LogRecord](buffer), metrics: newRing[MetricPoint](buffer)}
}

// SignalStats are one signal's counters.
type SignalStats struct {
	Received uint64 `json:"received"`
	Dropped  uint64 `json:"dropped"` // oldest items overwritten by newer ones
	Held     int    `json:"held"`
}

// Stats returns the counters of traces, logs and metrics.
func (s *Store) Stats() map[string]SignalStats {
	out := map[string]SignalStats{}
	for name, counts := range map[string]func() (uint64, uint64, int){
		SignalTraces: s.spans.counts, SignalLogs: s.logs.counts, SignalMetrics: s.metrics.counts,
	} {
		r, d, h := counts()
		out[name] = SignalStats{Received: r, Dropped: d, Held: h}
	}
	return out
}

// Traces summarises the traces held, newest first, at most limit (0: all). A
// non-empty service keeps the traces with a span of that service or resource.
func (s *Store) Traces(service string, limit int) []TraceSummary {
	byID := map[string]*TraceSummary{}
	var order []string
	s.spans.each(func(sp Span) bool {
		t := byID[sp.TraceID]
		if t == nil {
			t = &TraceSummary{TraceID: sp.TraceID, Start: sp.Start}
			byID[sp.TraceID] = t
			order = append(order, sp.TraceID)
		}
		addToSummary(t, sp)
		return true
	})
	out := make([]TraceSummary, 0, len(order))
	for _, id := range order {
		t := byID[id]
		if service == "" || slices.Contains(t.Services, service) {
			out = append(out, *t)
		}
	}
	slices.SortStableFunc(out, func(a, b TraceSummary) int { return b.Start.Compare(a.Start) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// addToSummary widens a summary by one span; a span without parent names the trace.
func addToSummary(t *TraceSummary, sp Span) {
	end := t.Start.Add(time.Duration(t.DurationMS * float64(time.Millisecond)))
	if sp.Start.Before(t.Start) {
		t.Start = sp.Start
	}
	if sp.End.After(end) {
		end = sp.End
	}
	t.DurationMS = float64(end.Sub(t.Start).Microseconds()) / 1000
	t.Spans++
	if sp.StatusCode == "Error" {
		t.Errors++
	}
	if t.Root == "" || sp.ParentSpanID == "" {
		t.Root, t.Service = sp.Name, sp.Service
	}
	for _, name := range []string{sp.Service, sp.Resource} {
		if name != "" && !slices.Contains(t.Services, name) {
			t.Services = append(t.Services, name)
		}
	}
}

// Trace returns the spans of one trace in start order; nil when none is held.
func (s *Store) Trace(id string) []Span {
	var out []Span
	s.spans.each(func(sp Span) bool {
		if strings.EqualFold(sp.TraceID, id) {
			out = append(out, sp)
		}
		return true
	})
	slices.SortStableFunc(out, func(a, b Span) int { return a.Start.Compare(b.Start) })
	return out
}

// LogFilter selects log records.
type LogFilter struct {
	MinSeverity int    // severity number; 0: all
	Service     string // service or resource name; "": all
	Text        string // case-insensitive substring of the body; "": all
	Limit       int    // the newest Limit records; 0: all
}

// Logs returns the matching records, oldest first.
func (s *Store) Logs(f LogFilter) []LogRecord {
	text := strings.ToLower(f.Text)
	var out []LogRecord
	s.logs.each(func(l LogRecord) bool {
		if l.SeverityNumber >= f.MinSeverity && matchesService(f.Service, l.Service, l.Resource) &&
			(text == "" || strings.Contains(strings.ToLower(l.Body), text)) {
			out = append(out, l)
		}
		return true
	})
	return newest(out, f.Limit)
}

// Metrics returns the newest data points, oldest first, of one service (or all).
func (s *Store) Metrics(service string, limit int) []MetricPoint {
	var out []MetricPoint
	s.metrics.each(func(p MetricPoint) bool {
		if matchesService(service, p.Service, p.Resource) {
			out = append(out, p)
		}
		return true
	})
	return newest(out, limit)
}

func matchesService(want, service, resource string) bool {
	return want == "" || want == service || want == resource
}

func newest[T any](items []T, limit int) []T {
	if limit > 0 && len(items) > limit {
		return items[len(items)-limit:]
	}
	return items
}
