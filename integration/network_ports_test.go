package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

// freeLocalPort returns a port nothing listens on at 127.0.0.1 right now.
func freeLocalPort(t *testing.T) uint16 {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

func publish(host, container uint16) []plan.PortBinding {
	return []plan.PortBinding{{HostIP: "127.0.0.1", HostPort: host, ContainerPort: container, RequestedHostPort: host}}
}

// hostGet fetches http://addr/ from the host once the port accepts connections.
func hostGet(t *testing.T, e *rtEnv, addr string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	if err := e.c.WaitPort(ctx, addr); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := (&http.Client{Timeout: 3 * time.Second}).Get("http://" + addr + "/")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET http://%s/: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond) // httpd accepted before serving: retry
	}
}

// docs/spec/runtime.md §6, §17 items 18, 20-22: a published port answers on 127.0.0.1 from the
// host and nowhere else; a port held by a host process or published by another
// project's container is rewritten, or refused with --strict.
func TestNetworkPublishedPorts(t *testing.T) {
	e := newRTEnv(t)
	a := e.newRTProject(t, "porta", map[string][]string{"web": httpdCommand("hello-ports")})
	want := freeLocalPort(t)
	a.spec("web").Ports = publish(want, 80)
	rewrites, err := e.c.PreflightPorts(e.ctx, a.plan, false)
	if err != nil || len(rewrites) != 0 {
		t.Fatalf("preflight of a free port: %v, %v", rewrites, err)
	}
	ctr := a.start(t, "web")
	if got := ctr.Ports(); len(got) != 1 || got[0].HostPort != want {
		t.Fatalf("published %v, want host port %d", got, want)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(want)))
	if body := hostGet(t, e, addr); body != "hello-ports\n" {
		t.Fatalf("GET %s = %q", addr, body)
	}
	other := net.JoinHostPort(a.plan.Network.Gateway.String(), strconv.Itoa(int(want)))
	if conn, err := net.DialTimeout("tcp", other, time.Second); err == nil {
		conn.Close()
		t.Errorf("port %d also answers on %s", want, other)
	}

	t.Run("published by another project", func(t *testing.T) {
		b := e.newRTProject(t, "portb", map[string][]string{"web": httpdCommand("b")})
		b.spec("web").Ports = publish(want, 80)
		rewrites, err := e.c.PreflightPorts(e.ctx, b.plan, false)
		if err != nil || len(rewrites) != 1 || rewrites[0].From != want || rewrites[0].To == want ||
			rewrites[0].Resource != "web" || rewrites[0].Container != 80 {
			t.Fatalf("rewrites %+v, %v", rewrites, err)
		}
		pb := b.spec("web").Ports[0]
		if pb.HostPort != rewrites[0].To || pb.RequestedHostPort != want {
			t.Fatalf("spec port %+v after rewrite %+v", pb, rewrites[0])
		}
		b.start(t, "web")
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(pb.HostPort)))
		if body := hostGet(t, e, addr); body != "b\n" {
			t.Fatalf("GET %s = %q", addr, body)
		}
	})
	t.Run("own project's container does not count", func(t *testing.T) {
		a.spec("web").Ports = publish(want, 80)
		if rewrites, err := e.c.PreflightPorts(e.ctx, a.plan, true); err != nil || len(rewrites) != 0 {
			t.Fatalf("rewrites %+v, %v", rewrites, err)
		}
	})
	t.Run("held by a host process", func(t *testing.T) {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		held := uint16(l.Addr().(*net.TCPAddr).Port)
		c := e.newRTProject(t, "portc", map[string][]string{"db": {"sleep", "3600"}})
		c.spec("db").Ports = publish(held, 5432)
		_, err = e.c.PreflightPorts(e.ctx, c.plan, true)
		wantErr := fmt.Sprintf("host port 127.0.0.1:%d requested by resources.db is already in use", held)
		if !errors.Is(err, containerdrt.ErrPortInUse) || err.Error()[:len(wantErr)] != wantErr {
			t.Fatalf("strict: %v, want %q", err, wantErr)
		}
		rewrites, err := e.c.PreflightPorts(e.ctx, c.plan, false)
		if err != nil || len(rewrites) != 1 || rewrites[0].From != held || rewrites[0].To == held {
			t.Fatalf("default: %+v, %v", rewrites, err)
		}
	})
}
