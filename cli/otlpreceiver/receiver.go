// Package otlpreceiver is the OTLP endpoint a running stack's owner serves to its
// containers (docs/spec/runtime.md §20): OTLP/HTTP (protobuf and JSON) and OTLP/gRPC for
// traces, logs and metrics, decoded with the OpenTelemetry collector's pdata, kept in
// bounded rings and optionally forwarded to an external collector. Nothing in it
// waits on the lifecycle engine, and nothing in the engine waits on it.
package otlpreceiver

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"golang.org/x/net/netutil"
	"google.golang.org/grpc"
)

// The signals, as named in OTLP/HTTP paths (/v1/<signal>) and in counters.
const (
	SignalTraces  = "traces"
	SignalLogs    = "logs"
	SignalMetrics = "metrics"
)

// Ports of the OTLP endpoints (the OTLP specification's defaults).
const (
	HTTPPort = 4318
	GRPCPort = 4317
)

// Options configure a Receiver.
type Options struct {
	Buffer  int        // items kept per signal; 0: DefaultBuffer
	Forward *Forwarder // nil: nothing is forwarded
	Logger  *slog.Logger
	// Allowed is the project subnet: connections from any other source but loopback
	// are closed unanswered (isolate.go). Zero: every source is served.
	Allowed netip.Prefix
}

// Receiver accepts OTLP over HTTP and gRPC into its Store.
type Receiver struct {
	store   *Store
	fwd     *Forwarder
	log     *slog.Logger
	allowed netip.Prefix
	slots   chan struct{} // decoding slots (maxInFlight)

	mu       sync.Mutex
	rejected map[string]uint64 // by reason
	httpSrv  *http.Server
	grpcSrv  *grpc.Server
}

// New makes a receiver that serves nothing until Serve.
func New(o Options) *Receiver {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Receiver{store: NewStore(o.Buffer), fwd: o.Forward, log: log, allowed: o.Allowed,
		slots: make(chan struct{}, maxInFlight), rejected: map[string]uint64{}}
}

// Store is what the receiver kept.
func (r *Receiver) Store() *Store { return r.store }

// Forwarder is the receiver's forwarder, nil when none.
func (r *Receiver) Forwarder() *Forwarder { return r.fwd }

// Serve serves OTLP/HTTP on httpLn and OTLP/gRPC on grpcLn (either may be nil) in
// the background, with at most maxConns connections each, from the allowed sources.
func (r *Receiver) Serve(httpLn, grpcLn net.Listener) {
	refused := func() { r.reject(reasonForeignSource) }
	httpLn, grpcLn = onlyFrom(httpLn, r.allowed, refused), onlyFrom(grpcLn, r.allowed, refused)
	r.mu.Lock()
	defer r.mu.Unlock()
	if httpLn != nil {
		r.httpSrv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
		srv, ln := r.httpSrv, netutil.LimitListener(httpLn, maxConns)
		go func() { _ = srv.Serve(ln) }()
	}
	if grpcLn != nil {
		r.grpcSrv = r.newGRPCServer()
		srv, ln := r.grpcSrv, netutil.LimitListener(grpcLn, maxConns)
		go func() { _ = srv.Serve(ln) }()
	}
}

// Close stops both servers, cutting requests that take longer than a second; it
// leaves the forwarder running (its owner closes it after a last export).
func (r *Receiver) Close() {
	r.mu.Lock()
	httpSrv, grpcSrv := r.httpSrv, r.grpcSrv
	r.httpSrv, r.grpcSrv = nil, nil
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if httpSrv != nil && httpSrv.Shutdown(ctx) != nil {
		httpSrv.Close()
	}
	if grpcSrv != nil {
		done := make(chan struct{})
		go func() { grpcSrv.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			grpcSrv.Stop()
		}
	}
}

// Rejected returns the number of rejected requests by reason (bad_request,
// too_large, unsupported_media_type, busy) and of connections refused for their
// source (foreign_source).
func (r *Receiver) Rejected() map[string]uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]uint64, len(r.rejected))
	for k, v := range r.rejected {
		out[k] = v
	}
	return out
}

func (r *Receiver) reject(reason string) {
	r.mu.Lock()
	r.rejected[reason]++
	r.mu.Unlock()
}

// The rejection reasons.
const (
	reasonBadRequest  = "bad_request"
	reasonTooLarge    = "too_large"
	reasonMediaType   = "unsupported_media_type"
	reasonBadEncoding = "unsupported_encoding"
	reasonBusy        = "busy"
)

// RejectReasons lists every reason Rejected counts.
var RejectReasons = []string{reasonBadRequest, reasonTooLarge, reasonMediaType, reasonBadEncoding, reasonBusy, reasonForeignSource}

// trySlot takes a decoding slot, waiting at most wait; release gives it back.
func (r *Receiver) trySlot(wait time.Duration) (release func(), ok bool) {
	release = func() { <-r.slots }
	select {
	case r.slots <- struct{}{}:
		return release, true
	default:
	}
	if wait <= 0 {
		return nil, false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case r.slots <- struct{}{}:
		return release, true
	case <-t.C:
		return nil, false
	}
}

// ingestTraces stores a decoded batch and hands it to the forwarder; raw is its
// protobuf encoding when the request already was protobuf (nil: marshal on demand).
func (r *Receiver) ingestTraces(td ptrace.Traces, raw []byte) {
	r.store.spans.push(spansOf(td)...)
	r.forward(SignalTraces, raw, func() ([]byte, error) { return (&ptrace.ProtoMarshaler{}).MarshalTraces(td) })
}

func (r *Receiver) ingestLogs(ld plog.Logs, raw []byte) {
	r.store.logs.push(logsOf(ld)...)
	r.forward(SignalLogs, raw, func() ([]byte, error) { return (&plog.ProtoMarshaler{}).MarshalLogs(ld) })
}

func (r *Receiver) ingestMetrics(md pmetric.Metrics, raw []byte) {
	r.store.metrics.push(pointsOf(md)...)
	r.forward(SignalMetrics, raw, func() ([]byte, error) { return (&pmetric.ProtoMarshaler{}).MarshalMetrics(md) })
}

// forward queues a batch for the external collector, when there is one.
func (r *Receiver) forward(signal string, raw []byte, marshal func() ([]byte, error)) {
	if r.fwd == nil {
		return
	}
	if raw == nil {
		var err error
		if raw, err = marshal(); err != nil {
			return
		}
	}
	r.fwd.Enqueue(signal, raw)
}
