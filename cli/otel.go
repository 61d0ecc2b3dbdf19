package cli

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control"
	"github.com/lightshuttle/lsctl/cli/otlpreceiver"
	"github.com/lightshuttle/lsctl/manifest"
)

// otelConfig is the OpenTelemetry wiring of one up (docs/spec/runtime.md §20): the manifest's
// observability.otel, less everything when --no-otel.
type otelConfig struct {
	enabled  bool
	endpoint string // external collector; "" when none
	buffer   int    // items kept per signal
}

// otelSettings resolves observability.otel and up --no-otel.
func otelSettings(m *manifest.Manifest, noOtel bool) otelConfig {
	c := otelConfig{enabled: !noOtel && m.OTelEnabled(), buffer: otlpreceiver.DefaultBuffer}
	if !c.enabled || m.Otel == nil {
		return c
	}
	c.endpoint = m.Otel.Endpoint.Value
	if m.Otel.Buffer.Set {
		c.buffer = int(m.Otel.Buffer.Value)
	}
	return c
}

// gatewayOf is the project bridge's address (.1) in a reserved subnet (docs/spec/runtime.md §5.1).
func gatewayOf(subnet netip.Prefix) netip.Addr { return subnet.Masked().Addr().Next() }

// receiverURL is the OTLP/HTTP endpoint the containers are given (docs/spec/runtime.md §20.2).
func receiverURL(gateway netip.Addr) string {
	return "http://" + gateway.String() + ":" + strconv.Itoa(otlpreceiver.HTTPPort)
}

// telemetry is what an owner records and serves about its stack beyond the views:
// the OTLP receiver (nil when OpenTelemetry is off or its ports could not be opened),
// lsctl's own startup trace, and the recent events of each resource.
type telemetry struct {
	control.Telemetry // what the control API serves of it
	startup           *startupTrace
	exported          bool
}

// api is what the control API serves; nil without telemetry.
func (t *telemetry) api() *control.Telemetry {
	if t == nil {
		return nil
	}
	return &t.Telemetry
}

// startTelemetry begins the startup trace and, when serve and OpenTelemetry is on,
// opens the receiver on the gateway address. It never fails the up: a port that
// cannot be opened is a warning.
func (s *session) startTelemetry(st *upState, serve bool) *telemetry {
	t := &telemetry{startup: newStartupTrace(st.plan, time.Now())}
	t.Telemetry = control.Telemetry{Enabled: st.otel.enabled, Buffer: st.otel.buffer,
		Startup: func() any { return t.startup.view() }, History: control.NewEventHistory()}
	if st.gateway.IsValid() {
		t.HTTP, t.GRPC = receiverURL(st.gateway), netip.AddrPortFrom(st.gateway, otlpreceiver.GRPCPort).String()
	}
	if st.client != nil {
		t.Stats = st.client.TaskStats
	}
	if !serve || !st.otel.enabled || !st.gateway.IsValid() {
		return t
	}
	if st.otel.endpoint != "" {
		fwd, err := otlpreceiver.NewForwarder(st.otel.endpoint, s.log)
		if err != nil {
			fmt.Fprintf(s.stderr, "warning: observability.otel.endpoint: %v; nothing is forwarded\n", err)
		}
		t.Forwarder = fwd
	}
	hl, err := otlpreceiver.Listen(st.gateway, otlpreceiver.HTTPPort)
	if err != nil {
		fmt.Fprintf(s.stderr, "warning: OTLP receiver: %v; the containers' telemetry is not received (is another collector using the port?)\n", err)
		return t
	}
	gl, err := otlpreceiver.Listen(st.gateway, otlpreceiver.GRPCPort)
	if err != nil {
		fmt.Fprintf(s.stderr, "warning: OTLP receiver: %v; OTLP/gRPC is not received, OTLP/HTTP is\n", err)
	}
	// Only the project's containers and the host are served (docs/spec/runtime.md §20.1).
	allowed, _ := netip.ParsePrefix(st.subnet)
	t.Receiver = otlpreceiver.New(otlpreceiver.Options{Buffer: st.otel.buffer, Forward: t.Forwarder, Logger: s.log, Allowed: allowed})
	t.Receiver.Serve(hl, gl)
	return t
}

// follow feeds the event history until the stream ends.
func (t *telemetry) follow(events <-chan actors.Event) {
	for e := range events {
		t.History.Add(e)
	}
}

// exportStartup sends lsctl's startup trace to the external collector, once.
func (t *telemetry) exportStartup() {
	if t.Forwarder == nil || t.exported {
		return
	}
	t.exported = true
	if body, err := t.startup.otlp(); err == nil {
		t.Forwarder.Enqueue(otlpreceiver.SignalTraces, body)
	}
}

// close stops the receiver, then gives the forwarder two seconds to send what it holds.
func (t *telemetry) close() {
	if t.Receiver != nil {
		t.Receiver.Close()
	}
	if t.Forwarder != nil {
		t.Forwarder.Close(2 * time.Second)
	}
}
