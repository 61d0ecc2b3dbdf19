package control

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control/controltest"
	"github.com/lightshuttle/lsctl/cli/otlpreceiver"
)

// otlpTraceJSON and otlpLogJSON are what an app (or busybox wget) posts.
const (
	otlpTraceJSON = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}},
{"key":"lightshuttle.resource","value":{"stringValue":"api"}}]},"scopeSpans":[{"spans":[
{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /orders","kind":2,
"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000250000000"},
{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","parentSpanId":"eee19b7ec3c1b174","name":"SELECT orders",
"startTimeUnixNano":"1700000000010000000","endTimeUnixNano":"1700000000200000000","status":{"code":2,"message":"timeout"}}]}]}]}`
	otlpLogJSON = `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},
"scopeLogs":[{"logRecords":[{"timeUnixNano":"1700000000000000000","severityNumber":9,"body":{"stringValue":"order placed"}},
{"timeUnixNano":"1700000001000000000","severityNumber":17,"severityText":"ERROR","body":{"stringValue":"order failed"}}]}]}]}`
)

func postOTLP(t *testing.T, url, body string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: %s", url, resp.Status)
	}
}

// getJSON GETs path from srv and decodes the body; it returns the status.
func getJSON(t *testing.T, client *http.Client, url string, into any) int {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if into != nil && json.Unmarshal(data, into) != nil {
		t.Fatalf("GET %s: %s %q is not JSON", url, resp.Status, data)
	}
	return resp.StatusCode
}

// docs/spec/runtime.md §20.5: the received traces, logs and metrics, the receiver's state, the
// startup trace and the history through the control API; 404 with a reason when
// OpenTelemetry is off.
func TestControlAPIOTel(t *testing.T) {
	hl, err := otlpreceiver.Listen(netip.MustParseAddr("127.0.0.1"), 0)
	if err != nil {
		t.Fatal(err)
	}
	recv := otlpreceiver.New(otlpreceiver.Options{Buffer: 64})
	recv.Serve(hl, nil)
	t.Cleanup(recv.Close)
	base := "http://" + hl.Addr().String()
	postOTLP(t, base+"/v1/traces", otlpTraceJSON)
	postOTLP(t, base+"/v1/logs", otlpLogJSON)
	fp := controltest.NewPlane("shop", controltest.ShopViews()...)
	startup := func() any { return map[string]string{"project": "shop", "status": "running"} }
	tel := &Telemetry{Enabled: true, Buffer: 64, HTTP: "http://10.213.1.1:4318", GRPC: "10.213.1.1:4317", Receiver: recv,
		Startup: startup, History: NewEventHistory()}
	tel.History.Add(actors.Event{Type: actors.ResourceHealthy, Resource: "db", TS: time.Now()})
	m, stop := newMetrics(fp, time.Now(), tel)
	t.Cleanup(stop)
	srv := httptestServer(t, &controlAPI{cp: fp, dataRoot: t.TempDir(), metrics: m, tel: tel})
	c := http.DefaultClient

	var st otelStatus
	if getJSON(t, c, srv+"/api/otel", &st); !st.Enabled || !st.Receiving || *st.HTTP != "http://10.213.1.1:4318" ||
		*st.GRPC != "10.213.1.1:4317" || st.Signals["traces"].Received != 2 || st.Forward != nil {
		t.Errorf("/api/otel: %+v", st)
	}
	var traces []otlpreceiver.TraceSummary
	if getJSON(t, c, srv+"/api/otel/traces?service=api", &traces); len(traces) != 1 || traces[0].Root != "GET /orders" || traces[0].Errors != 1 {
		t.Fatalf("traces %+v", traces)
	}
	var spans []otlpreceiver.Span
	if getJSON(t, c, srv+"/api/otel/traces/"+traces[0].TraceID, &spans); len(spans) != 2 || spans[1].StatusMessage != "timeout" {
		t.Errorf("spans %+v", spans)
	}
	var logs []otlpreceiver.LogRecord
	if getJSON(t, c, srv+"/api/otel/logs?severity=error", &logs); len(logs) != 1 || logs[0].Body != "order failed" {
		t.Errorf("error logs %+v", logs)
	}
	if getJSON(t, c, srv+"/api/otel/logs?q=PLACED&limit=5", &logs); len(logs) != 1 || logs[0].Severity != "INFO" {
		t.Errorf("filtered logs %+v", logs)
	}
	for path, want := range map[string]int{"/api/otel/logs?severity=loud": 400, "/api/otel/traces?limit=0": 400,
		"/api/otel/traces/ffff": 404, "/api/otel/metrics": 200, "/api/otel/nope": 404} {
		if code := getJSON(t, c, srv+path, nil); code != want {
			t.Errorf("%s: %d, want %d", path, code, want)
		}
	}
	var hist map[string][]json.RawMessage
	if getJSON(t, c, srv+"/api/history", &hist); len(hist["db"]) != 1 || hist["api"] == nil {
		t.Errorf("history %v", hist)
	}
	var sv map[string]string
	if getJSON(t, c, srv+"/api/startup", &sv); sv["project"] != "shop" || sv["status"] != "running" {
		t.Errorf("startup %+v", sv)
	}
	resp, _ := c.Get(srv + "/metrics")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`lsctl_otlp_received_total{signal="logs"} 2`, `lsctl_otlp_dropped_total{signal="traces"} 0`,
		`lsctl_otlp_rejected_requests_total{reason="busy"} 0`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	off := httptestServer(t, &controlAPI{cp: fp, dataRoot: t.TempDir(), metrics: m,
		tel: &Telemetry{Startup: startup, History: NewEventHistory()}})
	var e map[string]string
	if code := getJSON(t, c, off+"/api/otel/traces", &e); code != 404 || !strings.Contains(e["error"], "up --no-otel") {
		t.Errorf("off: %d %v", code, e)
	}
	if getJSON(t, c, off+"/api/otel", &st); st.Enabled || st.Receiving {
		t.Errorf("off status %+v", st)
	}
}

func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
