package cli

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/cli/control"
	"github.com/lightshuttle/lsctl/cli/control/controltest"
	"github.com/lightshuttle/lsctl/cli/otlpreceiver"
	"github.com/lightshuttle/lsctl/containerdrt/fakert"
	"github.com/lightshuttle/lsctl/plan"
)

// otlpLogJSON is a log record as an app (or busybox wget) posts it.
const otlpLogJSON = `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},
"scopeLogs":[{"logRecords":[{"timeUnixNano":"1700000000000000000","severityNumber":9,"body":{"stringValue":"order placed"}}]}]}]}`

// docs/spec/runtime.md §20.1: a foreground up serves OTLP on the gateway address while the
// stack runs, serves what it got through the control socket, and closes the ports
// when the stack is stopped.
func TestUpServesOTLP(t *testing.T) {
	gw := netip.AddrFrom4([4]byte{127, 0, 42, byte(2 + os.Getpid()%250)})
	root := t.TempDir()
	p := &plan.Plan{Project: "shop", Nodes: []*plan.Node{{Name: "api", Spec: plan.ContainerSpec{ID: "shop_api", Resource: "api", Image: "a:1"}}}}
	if err := os.MkdirAll(plan.ProjectDir(root, "shop"), 0o700); err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	s := &session{stdout: out, stderr: out, opts: globalOptions{DataRoot: root, NoColor: true}, log: discardLogger()}
	st := &upState{opts: defaultUpOptions(), plan: p, rt: fakert.New(), otel: otelConfig{enabled: true, buffer: 32}, gateway: gw}
	sigs, code := make(chan os.Signal, 1), make(chan int, 1)
	go func() { code <- s.report(s.runUp(context.Background(), st, sigs)) }()
	controltest.WaitFor(t, func() bool { return strings.Contains(out.String(), "[shop] critical path: api ") })
	resp, err := http.Post(receiverURL(gw)+"/v1/logs", "application/json", strings.NewReader(otlpLogJSON))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST to the receiver: %v %v", resp, err)
	}
	resp.Body.Close()
	cc, err := control.Dial(context.Background(), root, "shop")
	if err != nil {
		t.Fatal(err)
	}
	var logs []otlpreceiver.LogRecord
	if status, err := cc.GetJSON(context.Background(), "/api/otel/logs", &logs); err != nil || status != 200 || len(logs) != 1 {
		t.Fatalf("logs through the socket: %d %v %+v", status, err, logs)
	}
	var sv startupView
	if _, err := cc.GetJSON(context.Background(), "/api/startup", &sv); err != nil || sv.Status != startupReady || len(sv.Resources[0].Phases) != 4 {
		t.Errorf("startup trace %+v %v", sv, err)
	}
	sigs <- syscall.SIGTERM
	if c := <-code; c != 143 {
		t.Fatalf("exit %d: %s", c, out.String())
	}
	if conn, err := net.DialTimeout("tcp", netip.AddrPortFrom(gw, otlpreceiver.HTTPPort).String(), time.Second); err == nil {
		conn.Close()
		t.Error("the receiver still listens after the stack stopped")
	}
}
