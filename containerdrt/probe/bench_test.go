package probe

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/plan"
)

// BenchmarkProbes measures one native probe per protocol against in-process servers on
// 127.0.0.1: the client side of what a probe costs lsctl (issue 16 item 3).
func BenchmarkProbes(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	for _, proto := range []plan.ProbeProtocol{plan.ProbeTCP, plan.ProbeHTTP} {
		b.Run(string(proto), func(b *testing.B) {
			p := plan.NativeProbe{Protocol: proto, Port: port, Path: "/"}
			for i := 0; i < b.N; i++ {
				if r := Run(context.Background(), "127.0.0.1", p, time.Second); !r.OK {
					b.Fatalf("probe failed: %+v", r)
				}
			}
		})
	}
}
