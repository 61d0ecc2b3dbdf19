package control

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/otlpreceiver"
	"github.com/lightshuttle/lsctl/containerdrt"
)

// Telemetry is what the owner records and serves about its stack beyond the views:
// the OTLP receiver and forwarder, the startup trace, the event history and the
// tasks' resource use (docs/spec/runtime.md §20.5).
type Telemetry struct {
	Enabled bool // observability.otel.enabled and not up --no-otel
	Buffer  int  // items kept per signal
	// HTTP and GRPC are the receiver's endpoints the containers are given; "" when
	// the project has no gateway address.
	HTTP, GRPC string
	Receiver   *otlpreceiver.Receiver  // nil: not running
	Forwarder  *otlpreceiver.Forwarder // nil: no external collector
	// Startup returns the body of GET /api/startup.
	Startup func() any
	History *EventHistory
	// Stats reads a task's resource use (containerdrt.Client.TaskStats); nil
	// without containerd.
	Stats func(ctx context.Context, id string) (containerdrt.TaskStats, error)
}

// Default and largest limits of the list endpoints of docs/spec/runtime.md §20.5.
const (
	defaultListLimit = 200
	maxListLimit     = 5000
)

// otelStatus is GET /api/otel.
type otelStatus struct {
	Enabled   bool                                `json:"enabled"`
	Receiving bool                                `json:"receiving"`
	HTTP      *string                             `json:"http"`
	GRPC      *string                             `json:"grpc"`
	Forward   *string                             `json:"forward"`
	Buffer    int                                 `json:"buffer"`
	Signals   map[string]otlpreceiver.SignalStats `json:"signals"`
	Rejected  map[string]uint64                   `json:"rejected"`
	Forwarded *otlpreceiver.ForwardStats          `json:"forwarded"`
}

func (api *controlAPI) otelStatus(w http.ResponseWriter, _ *http.Request, _ string) {
	t := api.tel
	st := otelStatus{Signals: map[string]otlpreceiver.SignalStats{}, Rejected: map[string]uint64{}}
	if t != nil && t.Enabled {
		st.Enabled, st.Buffer = true, t.Buffer
		if t.HTTP != "" {
			h, g := t.HTTP, t.GRPC
			st.HTTP, st.GRPC = &h, &g
		}
	}
	if t != nil && t.Receiver != nil {
		st.Receiving, st.Signals, st.Rejected = true, t.Receiver.Store().Stats(), t.Receiver.Rejected()
	}
	if t != nil && t.Forwarder != nil {
		e, f := t.Forwarder.Endpoint(), t.Forwarder.Stats()
		st.Forward, st.Forwarded = &e, &f
	}
	writeJSON(w, http.StatusOK, st)
}

// store returns the receiver's store, or answers 404 saying why there is none.
func (api *controlAPI) store(w http.ResponseWriter) *otlpreceiver.Store {
	switch t := api.tel; {
	case t == nil || !t.Enabled:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "OpenTelemetry is off for this stack (observability.otel.enabled: false or up --no-otel)"})
	case t.Receiver == nil:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "the OTLP receiver is not running: its ports could not be opened (the owner's stderr or supervisor.log says why)"})
	default:
		return t.Receiver.Store()
	}
	return nil
}

// listLimit parses ?limit=N (1-5000, default 200); it answers 400 when bad.
func listLimit(w http.ResponseWriter, r *http.Request) (int, bool) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return defaultListLimit, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxListLimit {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid limit: expected 1-5000"})
		return 0, false
	}
	return n, true
}

func (api *controlAPI) otelTraces(w http.ResponseWriter, r *http.Request, _ string) {
	s := api.store(w)
	if s == nil {
		return
	}
	if limit, ok := listLimit(w, r); ok {
		writeJSON(w, http.StatusOK, nonNil(s.Traces(r.URL.Query().Get("service"), limit)))
	}
}

func (api *controlAPI) otelTrace(w http.ResponseWriter, _ *http.Request, id string) {
	s := api.store(w)
	if s == nil {
		return
	}
	spans := s.Trace(id)
	if len(spans) == 0 {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "unknown trace (or dropped from the buffer)", "trace_id": id})
		return
	}
	writeJSON(w, http.StatusOK, spans)
}

// severities maps the names ?severity= accepts to the lowest number of their range.
var severities = map[string]int{"trace": 1, "debug": 5, "info": 9, "warn": 13, "error": 17, "fatal": 21}

func (api *controlAPI) otelLogs(w http.ResponseWriter, r *http.Request, _ string) {
	s := api.store(w)
	if s == nil {
		return
	}
	limit, ok := listLimit(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := otlpreceiver.LogFilter{Service: q.Get("service"), Text: q.Get("q"), Limit: limit}
	if sev := q.Get("severity"); sev != "" {
		n, known := severities[strings.ToLower(sev)]
		if !known {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid severity: expected trace, debug, info, warn, error or fatal"})
			return
		}
		f.MinSeverity = n
	}
	writeJSON(w, http.StatusOK, nonNil(s.Logs(f)))
}

func (api *controlAPI) otelMetrics(w http.ResponseWriter, r *http.Request, _ string) {
	s := api.store(w)
	if s == nil {
		return
	}
	if limit, ok := listLimit(w, r); ok {
		writeJSON(w, http.StatusOK, nonNil(s.Metrics(r.URL.Query().Get("service"), limit)))
	}
}

func nonNil[T any](items []T) []T {
	if items == nil {
		return []T{}
	}
	return items
}

// startup is GET /api/startup: lsctl's own trace of this up.
func (api *controlAPI) startup(w http.ResponseWriter, _ *http.Request, _ string) {
	if api.tel == nil || api.tel.Startup == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "no startup trace: this lsctl does not run the stack"})
		return
	}
	writeJSON(w, http.StatusOK, api.tel.Startup())
}

// history is GET /api/history: the recent events of every resource.
func (api *controlAPI) history(w http.ResponseWriter, _ *http.Request, _ string) {
	out := map[string][]actors.Event{}
	if api.tel != nil {
		out = api.tel.History.snapshot()
	}
	for _, v := range api.cp.List() {
		if out[v.Name] == nil {
			out[v.Name] = []actors.Event{}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// resourceStats is one entry of GET /api/stats.
type resourceStats struct {
	Resource string `json:"resource"`
	containerdrt.TaskStats
}

// stats is GET /api/stats: the CPU and memory of every resource with a running task.
func (api *controlAPI) stats(w http.ResponseWriter, r *http.Request, _ string) {
	out := []resourceStats{}
	if api.tel == nil || api.tel.Stats == nil {
		writeJSON(w, http.StatusOK, out)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	for _, v := range api.cp.List() {
		if v.ContainerID == nil || v.StartedAt == nil {
			continue
		}
		if st, err := api.tel.Stats(ctx, *v.ContainerID); err == nil {
			out = append(out, resourceStats{Resource: v.Name, TaskStats: st})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// matchTelemetry routes /api/otel[/traces[/{id}]|/logs|/metrics], /api/startup,
// /api/history and /api/stats (segs without "api").
func (api *controlAPI) matchTelemetry(segs []string) (*route, string) {
	get := func(h func(http.ResponseWriter, *http.Request, string)) *route { return &route{http.MethodGet, h} }
	switch strings.Join(segs, "/") {
	case "otel":
		return get(api.otelStatus), ""
	case "otel/traces":
		return get(api.otelTraces), ""
	case "otel/logs":
		return get(api.otelLogs), ""
	case "otel/metrics":
		return get(api.otelMetrics), ""
	case "startup":
		return get(api.startup), ""
	case "history":
		return get(api.history), ""
	case "stats":
		return get(api.stats), ""
	}
	if len(segs) == 3 && segs[0] == "otel" && segs[1] == "traces" {
		return get(api.otelTrace), segs[2]
	}
	return nil, ""
}
