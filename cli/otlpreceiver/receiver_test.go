package otlpreceiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// testReceiver serves a receiver on two loopback ports; it returns the HTTP base URL
// and the gRPC address.
func testReceiver(t *testing.T, o Options) (r *Receiver, httpURL, grpcAddr string) {
	t.Helper()
	hl, err := Listen(netip.MustParseAddr("127.0.0.1"), 0)
	if err != nil {
		t.Fatal(err)
	}
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r = New(o)
	r.Serve(hl, gl)
	t.Cleanup(r.Close)
	return r, "http://" + hl.Addr().String(), gl.Addr().String()
}

// sampleTraces is one span of service "api" (resource "api") with a parent.
func sampleTraces(name string) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "api")
	rs.Resource().Attributes().PutStr("lightshuttle.resource", "api")
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetName(name)
	sp.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	sp.SetSpanID(pcommon.SpanID{1, 1, 1, 1, 1, 1, 1, 2})
	sp.SetParentSpanID(pcommon.SpanID{1, 1, 1, 1, 1, 1, 1, 1})
	now := time.Now()
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(25 * time.Millisecond)))
	sp.Attributes().PutStr("http.route", "/orders")
	return td
}

func post(t *testing.T, url, ct string, body []byte, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// docs/spec/runtime.md §20.1: OTLP/HTTP protobuf traces are stored and answered with an
// ExportTraceServiceResponse in protobuf.
func TestHTTPProtobufTraces(t *testing.T) {
	r, base, _ := testReceiver(t, Options{})
	body, err := ptraceotlp.NewExportRequestFromTraces(sampleTraces("GET /orders")).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	resp := post(t, base+"/v1/traces", "application/x-protobuf", body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	spans := r.Store().Trace("0102030405060708090a0b0c0d0e0f10")
	if len(spans) != 1 || spans[0].Name != "GET /orders" || spans[0].Service != "api" || spans[0].Resource != "api" ||
		spans[0].ParentSpanID != "0101010101010101" || spans[0].DurationMS != 25 || spans[0].Attributes["http.route"] != "/orders" {
		t.Fatalf("stored spans %+v", spans)
	}
	list := r.Store().Traces("api", 0)
	if len(list) != 1 || list[0].Spans != 1 || list[0].Root != "GET /orders" {
		t.Errorf("trace list %+v", list)
	}
}

// The JSON encoding, as busybox wget posts it, for logs; gzip for metrics.
func TestHTTPJSONLogsAndGzipMetrics(t *testing.T) {
	r, base, _ := testReceiver(t, Options{})
	const logsJSON = `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"worker"}}]},
	"scopeLogs":[{"logRecords":[{"timeUnixNano":"1700000000000000000","severityNumber":17,"severityText":"ERROR",
	"body":{"stringValue":"payment failed"},"traceId":"0102030405060708090a0b0c0d0e0f10"}]}]}]}`
	resp := post(t, base+"/v1/logs", "application/json", []byte(logsJSON))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("logs: status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	logs := r.Store().Logs(LogFilter{MinSeverity: 17, Text: "PAYMENT"})
	if len(logs) != 1 || logs[0].Service != "worker" || logs[0].Severity != "ERROR" || logs[0].TraceID != "0102030405060708090a0b0c0d0e0f10" {
		t.Fatalf("stored logs %+v", logs)
	}
	if got := r.Store().Logs(LogFilter{MinSeverity: 21}); len(got) != 0 {
		t.Errorf("FATAL filter kept %+v", got)
	}
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("queue.depth")
	m.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(7)
	raw, _ := (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write(raw)
	zw.Close()
	resp = post(t, base+"/v1/metrics", "application/x-protobuf", zipped.Bytes(), "Content-Encoding", "gzip")
	if resp.StatusCode != 200 {
		t.Fatalf("gzip metrics: status %d", resp.StatusCode)
	}
	if pts := r.Store().Metrics("", 0); len(pts) != 1 || pts[0].Name != "queue.depth" || pts[0].Value != 7 || pts[0].Type != "Gauge" {
		t.Errorf("stored points %+v", pts)
	}
}

// statusOf decodes an OTLP/HTTP error body (google.rpc.Status).
func statusOf(t *testing.T, resp *http.Response) *spb.Status {
	t.Helper()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	st := &spb.Status{}
	var err error
	if resp.Header.Get("Content-Type") == "application/x-protobuf" {
		err = proto.Unmarshal(buf.Bytes(), st)
	} else {
		err = protojson.Unmarshal(buf.Bytes(), st)
	}
	if err != nil {
		t.Fatalf("error body %q is no google.rpc.Status: %v", buf.String(), err)
	}
	return st
}

// Bad input gets the OTLP status with a google.rpc.Status body, stores nothing and is
// counted (docs/spec/runtime.md §20.1).
func TestHTTPBadInput(t *testing.T) {
	r, base, _ := testReceiver(t, Options{})
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(make([]byte, MaxRequestBytes+10))
	zw.Close()
	for _, tt := range []struct {
		name, path, ct string
		body           []byte
		header         []string
		want           int
		msg            string
	}{
		{"malformed protobuf", "/v1/traces", "application/x-protobuf", []byte{0xff, 0xff, 0xff}, nil, 400, "cannot decode OTLP traces"},
		{"malformed JSON", "/v1/logs", "application/json", []byte(`{"resourceLogs":[`), nil, 400, "cannot decode OTLP logs"},
		{"text", "/v1/traces", "text/plain", []byte("hi"), nil, 415, "unsupported content type"},
		{"brotli", "/v1/traces", "application/json", []byte("{}"), []string{"Content-Encoding", "br"}, 415, "unsupported content encoding"},
		{"oversized", "/v1/metrics", "application/x-protobuf", make([]byte, MaxRequestBytes+1), nil, 413, "larger than"},
		{"gzip bomb", "/v1/traces", "application/x-protobuf", bomb.Bytes(), []string{"Content-Encoding", "gzip"}, 413, "larger than"},
		{"broken gzip", "/v1/traces", "application/x-protobuf", []byte("not gzip"), []string{"Content-Encoding", "gzip"}, 400, "cannot read"},
		{"unknown path", "/v1/profiles", "application/json", []byte("{}"), nil, 404, "unknown OTLP path"},
	} {
		resp := post(t, base+tt.path, tt.ct, tt.body, tt.header...)
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
			continue
		}
		if st := statusOf(t, resp); !strings.Contains(st.Message, tt.msg) {
			t.Errorf("%s: message %q lacks %q", tt.name, st.Message, tt.msg)
		}
	}
	resp, err := http.Get(base + "/v1/traces")
	if err != nil || resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET: %v %v", resp, err)
	}
	if stats := r.Store().Stats(); stats[SignalTraces].Received+stats[SignalLogs].Received+stats[SignalMetrics].Received != 0 {
		t.Errorf("bad input was stored: %+v", stats)
	}
	rej := r.Rejected()
	if rej[reasonBadRequest] != 3 || rej[reasonTooLarge] != 2 || rej[reasonMediaType] != 1 || rej[reasonBadEncoding] != 1 {
		t.Errorf("rejected counters %v", rej)
	}
}

// A flood: with every decoding slot taken, HTTP answers 429 with Retry-After and
// gRPC ResourceExhausted, at once rather than queueing (docs/spec/runtime.md §20.1).
func TestFloodIsRefused(t *testing.T) {
	r, base, grpcAddr := testReceiver(t, Options{})
	for i := 0; i < maxInFlight; i++ {
		if _, ok := r.trySlot(0); !ok {
			t.Fatal("slot")
		}
	}
	resp := post(t, base+"/v1/logs", "application/json", []byte("{}"))
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("HTTP under flood: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	client := ptraceotlp.NewGRPCClient(dial(t, grpcAddr))
	_, err := client.Export(context.Background(), ptraceotlp.NewExportRequestFromTraces(sampleTraces("x")))
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("gRPC under flood: %v", err)
	}
	for i := 0; i < maxInFlight; i++ {
		<-r.slots
	}
	if _, err := client.Export(context.Background(), ptraceotlp.NewExportRequestFromTraces(sampleTraces("x"))); err != nil {
		t.Errorf("gRPC after the flood: %v", err)
	}
}

func dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// OTLP/gRPC with pdata's own clients; a message that does not decode gets
// InvalidArgument, one over the limit ResourceExhausted; slots are given back.
func TestGRPC(t *testing.T) {
	r, _, addr := testReceiver(t, Options{})
	cc := dial(t, addr)
	if _, err := ptraceotlp.NewGRPCClient(cc).Export(context.Background(), ptraceotlp.NewExportRequestFromTraces(sampleTraces("grpc span"))); err != nil {
		t.Fatal(err)
	}
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("hello over grpc")
	if _, err := plogotlp.NewGRPCClient(cc).Export(context.Background(), plogotlp.NewExportRequestFromLogs(ld)); err != nil {
		t.Fatal(err)
	}
	if len(r.Store().Traces("", 0)) != 1 || len(r.Store().Logs(LogFilter{Text: "over grpc"})) != 1 {
		t.Fatalf("stored: %+v", r.Store().Stats())
	}
	var out []byte
	err := cc.Invoke(context.Background(), "/opentelemetry.proto.collector.trace.v1.TraceService/Export", []byte{0xff, 0xff}, &out, grpc.ForceCodec(rawCodec{}))
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("malformed message: %v", err)
	}
	err = cc.Invoke(context.Background(), "/opentelemetry.proto.collector.logs.v1.LogsService/Export", make([]byte, MaxRequestBytes+1), &out, grpc.ForceCodec(rawCodec{}))
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("oversized message: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(r.slots) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // slots come back when each stream's context ends
	}
	if len(r.slots) != 0 {
		t.Errorf("%d decoding slots still held after every export ended", len(r.slots))
	}
}

// Memory is bounded: the ring keeps the newest items and counts the dropped ones;
// every stored string is truncated.
func TestRingBoundsAndTruncation(t *testing.T) {
	r, base, _ := testReceiver(t, Options{Buffer: 16})
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for i := 0; i < 16+5; i++ {
		sp := spans.AppendEmpty()
		sp.SetName(strings.Repeat("n", 1000))
		sp.SetTraceID(pcommon.TraceID{byte(i + 1)})
		for a := 0; a < 100; a++ {
			sp.Attributes().PutStr(strings.Repeat("k", 200)+string(rune('a'+a%26))+strings.Repeat("x", a), strings.Repeat("é", 500))
		}
	}
	body, _ := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if resp := post(t, base+"/v1/traces", "application/x-protobuf", body); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	st := r.Store().Stats()[SignalTraces]
	if st.Received != 16+5 || st.Dropped != 5 || st.Held != 16 {
		t.Fatalf("stats %+v", st)
	}
	list := r.Store().Traces("", 0)
	if len(list) != 16 {
		t.Fatalf("%d traces held", len(list))
	}
	for _, sp := range r.Store().Trace(list[0].TraceID) {
		if len(sp.Name) > maxNameBytes || len(sp.Attributes) > maxAttributes {
			t.Errorf("span not bounded: name %d bytes, %d attributes", len(sp.Name), len(sp.Attributes))
		}
		for k, v := range sp.Attributes {
			if len(k) > maxKeyBytes || len(v) > maxValueBytes || !strings.HasSuffix(v, "é") {
				t.Errorf("attribute %d/%d bytes, value ends %q", len(k), len(v), v[len(v)-2:])
			}
		}
	}
}
