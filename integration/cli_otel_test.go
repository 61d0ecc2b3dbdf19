package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/cli/otlpreceiver"
	"github.com/lightshuttle/lsctl/integration/harness"
)

// wgetSpanJSON is the OTLP/HTTP JSON trace busybox wget posts.
const wgetSpanJSON = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"wget-poster"}}]},` +
	`"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"posted by wget",` +
	`"kind":1,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000"}]}]}]}`

// otelManifest: app exports with the OTel Go SDK, poster posts JSON with busybox
// wget, custom sets its own OTEL_SERVICE_NAME and prints what it got; forward is the
// external collector's URL ("" for none).
func otelManifest(project, forward string) string {
	bb := harness.ImageRef("busybox")
	obs := ""
	if forward != "" {
		obs = "observability:\n  otel:\n    endpoint: " + forward + "\n    buffer: 256\n"
	}
	return fmt.Sprintf(`project: {name: %s}
%sresources:
  app:
    container:
      image: %s
  poster:
    container:
      image: %s
      env: {BODY: '%s'}
      command: "until wget -q -O- --header 'Content-Type: application/json' --post-data \"$BODY\" \"$OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces\"; do sleep 0.2; done; echo; echo posted; trap 'exit 0' TERM; while :; do sleep 1; done"
  custom:
    container:
      image: %s
      env: {OTEL_SERVICE_NAME: mine}
      command: "env | grep ^OTEL_ | sort; echo otel-count=$(env | grep -c ^OTEL_); trap 'exit 0' TERM; while :; do sleep 1; done"
      depends_on: [poster]
`, project, obs, otelClientRef, bb, wgetSpanJSON, bb)
}

// apiGet GETs a control API path through the socket and decodes the JSON answer.
func apiGet(t *testing.T, sock, path string, into any) int {
	t.Helper()
	resp, err := controlClient(sock).Get("http://lsctl" + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if into != nil {
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("GET %s: %s: %q is not JSON", path, resp.Status, body)
		}
	}
	return resp.StatusCode
}

// awaitAPI polls a control API path until cond holds for what it returns: the data
// arrives from containers, which send it when they please.
func awaitAPI[T any](t *testing.T, sock, path string, cond func(T) bool) T {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var v T
		if apiGet(t, sock, path, &v) == http.StatusOK && cond(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s never satisfied the test; last answer %+v", path, v)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func traceNamed(name, service string) func([]otlpreceiver.TraceSummary) bool {
	return func(ts []otlpreceiver.TraceSummary) bool {
		for _, tr := range ts {
			if tr.Root == name && tr.Service == service {
				return true
			}
		}
		return false
	}
}

// docs/spec/runtime.md §17 items 91-97, §20: the OTel Go SDK over OTLP/HTTP and OTLP/gRPC and
// busybox wget posting JSON reach the owner's receiver on the gateway; the control
// API serves what arrived; everything is forwarded to an external collector (a
// second receiver on 127.0.0.1) with lsctl's own startup trace; the critical path is
// printed; --no-otel takes the variables away.
func TestCLIObservability(t *testing.T) {
	env := harness.Require(t)
	ln, err := otlpreceiver.Listen(netip.MustParseAddr("127.0.0.1"), 0)
	if err != nil {
		t.Fatal(err)
	}
	external := otlpreceiver.New(otlpreceiver.Options{})
	external.Serve(ln, nil)
	t.Cleanup(external.Close)
	dir := cliWriteManifest(t, otelManifest("cliotel", "http://"+ln.Addr().String()))
	cliLoadImages(t, env, dir, "busybox")
	if code, out, errOut := cliRun(t, env, dir, "images", "load", otelClientArchive(t)); code != 0 {
		t.Fatalf("images load otelclient: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 0 {
		t.Fatalf("up -d: exit %d\n%s%s", code, out, errOut)
	}
	t.Cleanup(func() { cliRun(t, env, dir, "down") })
	if !regexp.MustCompile(`\[cliotel\] critical path: (\S+ \d+\.\ds)( -> \S+ \d+\.\ds)*\n`).MatchString(out) {
		t.Errorf("up -d prints no critical path:\n%s", out)
	}
	sock := controlSocket(env, "cliotel")
	var st struct {
		Enabled, Receiving bool
		HTTP               string
	}
	if apiGet(t, sock, "/api/otel", &st); !st.Enabled || !st.Receiving || !strings.HasSuffix(st.HTTP, ".1:4318") {
		t.Fatalf("/api/otel: %+v", st)
	}
	awaitAPI(t, sock, "/api/otel/traces", traceNamed("checkout over http", "app"))
	awaitAPI(t, sock, "/api/otel/traces", traceNamed("checkout over grpc", "app"))
	traces := awaitAPI(t, sock, "/api/otel/traces?service=wget-poster", traceNamed("posted by wget", "wget-poster"))
	var spans []otlpreceiver.Span
	if apiGet(t, sock, "/api/otel/traces/"+traces[0].TraceID, &spans); len(spans) != 1 || spans[0].DurationMS != 100 {
		t.Errorf("wget trace spans %+v", spans)
	}
	awaitAPI(t, sock, "/api/otel/logs?severity=warn&q=payment", func(ls []otlpreceiver.LogRecord) bool {
		return len(ls) == 1 && ls[0].Service == "app" && ls[0].Resource == "app" && ls[0].Attributes["order.id"] == "42"
	})
	_, logs, _ := cliRun(t, env, dir, "logs", "custom")
	gw := strings.TrimSuffix(strings.TrimPrefix(st.HTTP, "http://"), ":4318")
	for _, want := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + gw + ":4318", "OTEL_SERVICE_NAME=mine",
		"OTEL_RESOURCE_ATTRIBUTES=lightshuttle.project=cliotel,lightshuttle.resource=custom"} {
		if !strings.Contains(logs, want) {
			t.Errorf("custom's environment lacks %s:\n%s", want, logs)
		}
	}
	if conn, err := net.DialTimeout("tcp", "127.0.0.1:4318", time.Second); err == nil {
		conn.Close()
		t.Error("something answers on 127.0.0.1:4318: the receiver must listen on the gateway only")
	}
	var startup struct {
		Status    string
		Resources []struct {
			Name   string
			Phases []struct{ Name string }
		}
	}
	if apiGet(t, sock, "/api/startup", &startup); startup.Status != "ready" || len(startup.Resources) != 3 || len(startup.Resources[0].Phases) != 4 {
		t.Errorf("/api/startup: %+v", startup)
	}
	resp, err := controlClient(sock).Get("http://lsctl/metrics")
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !regexp.MustCompile(`lsctl_otlp_received_total\{signal="traces"\} [1-9]`).Match(body) {
			t.Errorf("/metrics lacks received traces:\n%s", body)
		}
	}
	awaitTrue(t, func() bool {
		return len(external.Store().Traces("app", 0)) >= 2 && len(external.Store().Traces("lsctl", 0)) == 1 &&
			len(external.Store().Logs(otlpreceiver.LogFilter{Text: "payment retried"})) == 1
	}, "the external collector never got the app's traces and logs and lsctl's startup trace")

	// --no-otel: the next up recreates what had the variables, without them.
	if code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never", "--no-otel"); code != 0 {
		t.Fatalf("up -d --no-otel: exit %d\n%s%s", code, out, errOut)
	}
	// up -d returns once custom runs; its lines follow, the count last.
	awaitTrue(t, func() bool {
		_, logs, _ := cliRun(t, env, dir, "logs", "--tail", "1", "--no-prefix", "custom")
		return logs == "otel-count=1\n"
	}, "custom, recreated by up --no-otel, never printed otel-count=1 (only its own OTEL_SERVICE_NAME)")
	var e map[string]string
	if code := apiGet(t, sock, "/api/otel/traces", &e); code != 404 || !strings.Contains(e["error"], "--no-otel") {
		t.Errorf("/api/otel/traces with --no-otel: %d %v", code, e)
	}
}

// awaitTrue polls cond for up to a minute.
func awaitTrue(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
