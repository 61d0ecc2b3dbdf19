package otlpreceiver

import (
	"net/netip"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// observability.otel.endpoint: what one receiver gets is forwarded, as OTLP/HTTP
// protobuf, to another one standing in for the external collector, whether it came
// as protobuf or JSON.
func TestForwardToExternalCollector(t *testing.T) {
	external, extURL, _ := testReceiver(t, Options{})
	fwd, err := NewForwarder(extURL+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, base, _ := testReceiver(t, Options{Forward: fwd})
	body, _ := ptraceotlp.NewExportRequestFromTraces(sampleTraces("forwarded")).MarshalProto()
	post(t, base+"/v1/traces", "application/x-protobuf", body)
	post(t, base+"/v1/logs", "application/json", []byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"json forwarded"}}]}]}]}`))
	fwd.Close(5 * time.Second)
	if got := fwd.Stats(); got.Sent != 2 || got.Failures != 0 || got.Dropped != 0 {
		t.Fatalf("forwarder stats %+v", got)
	}
	if len(external.Store().Traces("api", 0)) != 1 || len(external.Store().Logs(LogFilter{Text: "json forwarded"})) != 1 {
		t.Fatalf("the external collector holds %+v", external.Store().Stats())
	}
	fwd.Enqueue(SignalTraces, body) // after Close: dropped, never blocks
	if fwd.Stats().Dropped != 1 {
		t.Errorf("enqueue after close: %+v", fwd.Stats())
	}
}

// A collector that is down costs failures, never a blocked caller or more than the
// forward budget.
func TestForwardBudget(t *testing.T) {
	fwd, err := NewForwarder("http://127.0.0.1:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fwd.Close(0)
	chunk := make([]byte, 1<<20)
	for i := 0; i < 3*forwardBudget/len(chunk); i++ {
		fwd.Enqueue(SignalLogs, chunk)
	}
	if fwd.Stats().Dropped < uint64(forwardBudget/len(chunk)) {
		t.Errorf("stats %+v: the budget did not drop", fwd.Stats())
	}
}

// IP_FREEBIND: the receiver binds the gateway address before the bridge has it.
func TestListenFreebind(t *testing.T) {
	ln, err := Listen(netip.MustParseAddr("203.0.113.77"), 0)
	if err != nil {
		t.Fatalf("listen on an address no interface has: %v", err)
	}
	ln.Close()
}
