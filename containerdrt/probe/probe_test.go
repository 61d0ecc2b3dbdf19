package probe

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/plan"
)

// serve starts a fake server on 127.0.0.1 that runs handle on each connection, and
// returns its address; got receives what handle reports.
func serve(t *testing.T, handle func(net.Conn)) (ip string, port uint16) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	a := ln.Addr().(*net.TCPAddr)
	return a.IP.String(), uint16(a.Port)
}

// refusedPort is a port on 127.0.0.1 where nothing listens.
func refusedPort(t *testing.T) uint16 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	return port
}

func run(t *testing.T, ip string, p plan.NativeProbe) Result {
	t.Helper()
	return Run(context.Background(), ip, p, 2*time.Second)
}

// pgMessage encodes a backend message.
func pgMessage(typ byte, body []byte) []byte {
	return append(binary.BigEndian.AppendUint32([]byte{typ}, uint32(len(body)+4)), body...)
}

func pgErrorBody(state, msg string) []byte {
	return []byte("SFATAL\x00C" + state + "\x00M" + msg + "\x00\x00")
}

// readStartup reads the startup message and returns its parameters.
func readStartup(c net.Conn) map[string]string {
	var n [4]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		return nil
	}
	body := make([]byte, binary.BigEndian.Uint32(n[:])-4)
	if _, err := io.ReadFull(c, body); err != nil || binary.BigEndian.Uint32(body) != 3<<16 {
		return nil
	}
	parts := strings.Split(string(body[4:]), "\x00")
	out := map[string]string{}
	for i := 0; i+1 < len(parts); i += 2 {
		out[parts[i]] = parts[i+1]
	}
	return out
}

func TestPostgresProbe(t *testing.T) {
	sasl := pgMessage('R', append(binary.BigEndian.AppendUint32(nil, 10), "SCRAM-SHA-256\x00\x00"...))
	authOK := pgMessage('R', binary.BigEndian.AppendUint32(nil, 0))
	for _, tc := range []struct {
		name   string
		answer []byte
		ok     bool
		detail string
	}{
		{"password requested", sasl, true, "accepting connections"},
		{"trusted", append(authOK, pgMessage('Z', []byte{'I'})...), true, "accepting connections"},
		{"notice then auth", append(pgMessage('N', pgErrorBody("01000", "hi")), sasl...), true, "accepting"},
		{"starting up", pgMessage('E', pgErrorBody("57P03", "the database system is starting up")), false, "rejecting connections: the database system is starting up"},
		{"shutting down", pgMessage('E', pgErrorBody("57P03", "the database system is shutting down")), false, "rejecting"},
		{"wrong password is up", pgMessage('E', pgErrorBody("28P01", "password authentication failed")), true, "28P01"},
		{"unknown database is up", pgMessage('E', pgErrorBody("3D000", `database "x" does not exist`)), true, "3D000"},
		{"no answer", nil, false, "no response"},
		{"garbage", []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			params := make(chan map[string]string, 1)
			ip, port := serve(t, func(c net.Conn) {
				params <- readStartup(c)
				c.Write(tc.answer)
				if len(tc.answer) > 0 && tc.answer[0] == 'R' {
					io.Copy(io.Discard, c) // until the probe's Terminate and close
				}
			})
			r := run(t, ip, plan.NativeProbe{Protocol: plan.ProbePostgres, Port: port, User: "app", Database: "shop"})
			if r.OK != tc.ok || !strings.Contains(r.Detail, tc.detail) {
				t.Fatalf("got %+v, want ok=%v with %q", r, tc.ok, tc.detail)
			}
			if p := <-params; p["user"] != "app" || p["database"] != "shop" {
				t.Fatalf("startup parameters %v", p)
			}
		})
	}
}

func TestPostgresProbeTerminatesTrustedSession(t *testing.T) {
	got := make(chan []byte, 1)
	ip, port := serve(t, func(c net.Conn) {
		readStartup(c)
		c.Write(pgMessage('R', binary.BigEndian.AppendUint32(nil, 0)))
		b, _ := io.ReadAll(c)
		got <- b
	})
	if r := run(t, ip, plan.NativeProbe{Protocol: plan.ProbePostgres, Port: port, User: "u"}); !r.OK {
		t.Fatalf("got %+v", r)
	}
	if b := <-got; string(b) != "X\x00\x00\x00\x04" {
		t.Fatalf("after AuthenticationOk the probe sent %q, want a Terminate", b)
	}
}

func TestProbesRefused(t *testing.T) {
	port := refusedPort(t)
	for _, proto := range []plan.ProbeProtocol{plan.ProbePostgres, plan.ProbeRedis, plan.ProbeHTTP, plan.ProbeTCP} {
		r := run(t, "127.0.0.1", plan.NativeProbe{Protocol: proto, Port: port, Password: "pw"})
		if r.OK || r.TimedOut || !strings.Contains(r.Detail, "connection refused") {
			t.Errorf("%s: got %+v, want a refused failure", proto, r)
		}
	}
}

// redisServer answers AUTH per pass ("" = no password configured) and PING with pong.
func redisServer(t *testing.T, pass, pong string, seen chan<- []string) (string, uint16) {
	return serve(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		authed := pass == ""
		for {
			cmd, err := readRESPCommand(r)
			if err != nil {
				return
			}
			if seen != nil {
				seen <- cmd
			}
			switch {
			case cmd[0] == "AUTH" && pass == "":
				c.Write([]byte("-ERR AUTH <password> called without any password configured for the default user.\r\n"))
			case cmd[0] == "AUTH" && cmd[len(cmd)-1] == pass:
				authed = true
				c.Write([]byte("+OK\r\n"))
			case cmd[0] == "AUTH":
				c.Write([]byte("-WRONGPASS invalid username-password pair or user is disabled.\r\n"))
			case cmd[0] == "PING" && !authed:
				c.Write([]byte("-NOAUTH Authentication required.\r\n"))
			case cmd[0] == "PING":
				c.Write([]byte(pong + "\r\n"))
			}
		}
	})
}

// readRESPCommand reads a RESP array of bulk strings.
func readRESPCommand(r *bufio.Reader) ([]string, error) {
	line, err := readRESPLine(r)
	if err != nil || !strings.HasPrefix(line, "*") {
		return nil, io.ErrUnexpectedEOF
	}
	n, _ := strconv.Atoi(line[1:])
	out := make([]string, n)
	for i := range out {
		if line, err = readRESPLine(r); err != nil {
			return nil, err
		}
		size, _ := strconv.Atoi(line[1:])
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		out[i] = string(buf[:size])
	}
	return out, nil
}

func TestRedisProbe(t *testing.T) {
	const pw = "s3cret \r\n$*2 p@ss"
	for _, tc := range []struct {
		name, serverPass, probePass, pong string
		ok                                bool
		detail                            string
	}{
		{"ready", "", "", "+PONG", true, "PONG"},
		{"ready with password", pw, pw, "+PONG", true, "PONG"},
		{"loading", "", "", "-LOADING Redis is loading the dataset in memory", false, "LOADING"},
		{"wrong password", "other", pw, "+PONG", false, "AUTH refused: WRONGPASS"},
		{"password required", pw, "", "+PONG", false, "NOAUTH"},
		{"no password configured", "", pw, "+PONG", false, "AUTH refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := make(chan []string, 4)
			ip, port := redisServer(t, tc.serverPass, tc.pong, seen)
			r := run(t, ip, plan.NativeProbe{Protocol: plan.ProbeRedis, Port: port, Password: tc.probePass})
			if r.OK != tc.ok || !strings.Contains(r.Detail, tc.detail) {
				t.Fatalf("got %+v, want ok=%v with %q", r, tc.ok, tc.detail)
			}
			if tc.probePass != "" && strings.Contains(r.Detail, tc.probePass) {
				t.Fatalf("the detail shows the password: %q", r.Detail)
			}
			if tc.probePass != "" {
				if cmd := <-seen; len(cmd) != 2 || cmd[0] != "AUTH" || cmd[1] != tc.probePass {
					t.Fatalf("first command %q, want AUTH with the password byte for byte", cmd)
				}
			}
		})
	}
}

func TestHTTPProbe(t *testing.T) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.WriteHeader(http.StatusOK)
		case "/moved":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1") // must be ignored
	for _, tc := range []struct {
		path   string
		status int
		ok     bool
		detail string
	}{
		{"/healthz", 0, true, "200 OK"},
		{"", 0, false, "503"},
		{"/moved", 0, true, "302"},
		{"/moved", 200, false, "(expected 200)"},
		{"/teapot", 418, true, "418"},
		{"/down", 0, false, "503 Service Unavailable"},
	} {
		r := run(t, "127.0.0.1", plan.NativeProbe{Protocol: plan.ProbeHTTP, Port: port, Path: tc.path, Status: tc.status})
		if r.OK != tc.ok || !strings.Contains(r.Detail, tc.detail) {
			t.Errorf("GET %q status %d: got %+v, want ok=%v with %q", tc.path, tc.status, r, tc.ok, tc.detail)
		}
	}
}

func TestHTTPProbeNotHTTP(t *testing.T) {
	ip, port := serve(t, func(c net.Conn) { c.Write([]byte("SSH-2.0-OpenSSH_9.2\r\n")) })
	r := run(t, ip, plan.NativeProbe{Protocol: plan.ProbeHTTP, Port: port})
	if r.OK || !strings.Contains(r.Detail, `not an HTTP answer: "SSH-2.0-OpenSSH_9.2"`) {
		t.Fatalf("got %+v", r)
	}
}

func TestTCPProbe(t *testing.T) {
	ip, port := serve(t, func(net.Conn) {})
	if r := run(t, ip, plan.NativeProbe{Protocol: plan.ProbeTCP, Port: port}); !r.OK {
		t.Fatalf("got %+v", r)
	}
}

func TestProbeWithoutAddress(t *testing.T) {
	_, port := serve(t, func(net.Conn) {}) // listens on the host: must not be reached
	for _, bad := range []string{"", "db", "127.0.0.1:80"} {
		r := run(t, bad, plan.NativeProbe{Protocol: plan.ProbeTCP, Port: port})
		if r.OK || !strings.Contains(r.Detail, "no address to probe") {
			t.Errorf("ip %q: got %+v", bad, r)
		}
	}
}

func TestProbeTimesOut(t *testing.T) {
	ip, port := serve(t, func(c net.Conn) { io.Copy(io.Discard, c) }) // accepts, never answers
	for _, proto := range []plan.ProbeProtocol{plan.ProbePostgres, plan.ProbeRedis, plan.ProbeHTTP} {
		r := Run(context.Background(), ip, plan.NativeProbe{Protocol: proto, Port: port}, 50*time.Millisecond)
		if r.OK || !r.TimedOut || r.Detail != "timed out after 50ms" {
			t.Errorf("%s: got %+v, want a time-out", proto, r)
		}
	}
}
