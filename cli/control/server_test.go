package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control/controltest"
	"github.com/lightshuttle/lsctl/containerdrt/logfile"
	"github.com/lightshuttle/lsctl/plan"
)

// at is a fixed time sec seconds into a minute.
func at(sec int) time.Time { return time.Date(2025, 3, 4, 5, 6, sec, 1, time.UTC) }

func testAPI(t *testing.T, fp *controltest.Plane, tcp bool) (*httptest.Server, string) {
	t.Helper()
	root := t.TempDir()
	m, stop := newMetrics(fp, time.Now(), nil)
	t.Cleanup(stop)
	api := &controlAPI{cp: fp, dataRoot: root, tcp: tcp, metrics: m}
	if tcp {
		api.token = testToken
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return srv, root
}

// testToken is the dashboard token of testAPI's TCP servers; withToken adds it.
const testToken = "0123456789abcdef"

func withToken(req *http.Request) *http.Request {
	req.Header.Set("Authorization", "Bearer "+testToken)
	return req
}

// docs/spec/runtime.md §15.2 endpoints and status codes (§17 items 47, 48, 60).
func TestControlAPIEndpoints(t *testing.T) {
	fp := controltest.NewPlane("shop", controltest.ShopViews()...)
	fp.RestartErr["api"] = actors.ErrRestartInProgress
	srv, _ := testAPI(t, fp, false)
	tests := []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/healthz", 200, fmt.Sprintf(`{"status":"ok","project":"shop","pid":%d,"supervisor":false,"containerd":"available"}`, os.Getpid())},
		{"POST", "/api/shutdown", 501, `{"error":"this lsctl cannot be stopped through its API"}`},
		{"POST", "/api/release", 409, `{"error":"not a background supervisor"}`},
		{"GET", "/api/shutdown", 405, `{"error":"method not allowed"}`},
		{"GET", "/api/resources/nope", 404, `{"error":"unknown resource","resource":"nope"}`},
		{"POST", "/api/resources/db/restart", 202, `{"accepted":true,"resource":"db"}`},
		{"POST", "/api/resources/nope/restart", 404, `{"error":"unknown resource","resource":"nope"}`},
		{"POST", "/api/resources/api/restart", 409, `{"error":"restart already in progress","resource":"api"}`},
		{"GET", "/api/resources/db/restart", 405, `{"error":"method not allowed"}`},
		{"POST", "/api/resources", 405, `{"error":"method not allowed"}`},
		{"GET", "/nowhere", 404, `{"error":"not found"}`},
		{"GET", "/", 404, `{"error":"not found"}`},
		{"GET", "/api/resources/db/logs?tail=x", 400, `{"error":"invalid tail"}`},
		{"GET", "/api/resources/nope/logs", 404, `{"error":"unknown resource","resource":"nope"}`},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || strings.TrimSpace(string(data)) != tt.body {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, data, tt.status, tt.body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v", resp.Header)
			}
			if resp.StatusCode == 405 && resp.Header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
			if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("Content-Security-Policy") != contentSecurityPolicy {
				t.Errorf("security headers missing: %v", resp.Header)
			}
		})
	}
	// The stack-phase rejections carry the resource too.
	fp.RestartErr["db"] = actors.ErrStackStopping
	resp, err := http.Post(srv.URL+"/api/resources/db/restart", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 409 || strings.TrimSpace(string(data)) != `{"error":"stack is stopping","resource":"db"}` {
		t.Errorf("stopping: %d %s", resp.StatusCode, data)
	}
}

// docs/spec/runtime.md §17 item 60: views in declaration order with every field of §14.
func TestControlAPIResources(t *testing.T) {
	srv, _ := testAPI(t, controltest.NewPlane("shop", controltest.ShopViews()...), false)
	resp, err := http.Get(srv.URL + "/api/resources")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var views []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&views); err != nil {
		t.Fatal(err)
	}
	if len(views) != 2 || views[0]["name"] != "db" || views[1]["name"] != "api" {
		t.Fatalf("views %v", views)
	}
	for _, key := range []string{"name", "kind", "status", "image", "container_id", "ip", "ports", "started_at", "restarts", "exit_code", "last_error", "depends_on"} {
		if _, ok := views[0][key]; !ok {
			t.Errorf("view lacks %q", key)
		}
	}
	if views[0]["started_at"] != nil {
		t.Errorf("started_at of a never-started resource = %v, want null", views[0]["started_at"])
	}
}

// docs/spec/runtime.md §15.3, §17 item 59: a client that has the headers receives every event
// published afterwards; the stream ends after stack_stopped.
func TestControlAPIEvents(t *testing.T) {
	fp := controltest.NewPlane("shop", controltest.ShopViews()...)
	srv, _ := testAPI(t, fp, false)
	resp, err := http.Get(srv.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("headers %v", resp.Header)
	}
	ts := time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)
	fp.Publish(actors.Event{Type: actors.ResourceStarted, Resource: "db", TS: ts, ContainerID: "shop_db"})
	fp.Publish(actors.Event{Type: actors.StackStopped, TS: ts, Project: "shop"})
	data, err := io.ReadAll(resp.Body) // ends because the server closes after stack_stopped
	if err != nil {
		t.Fatal(err)
	}
	want := `data: {"type":"resource_started","resource":"db","ts":"2025-03-04T05:06:07.123456789Z","container_id":"shop_db"}` + "\n\n" +
		`data: {"type":"stack_stopped","ts":"2025-03-04T05:06:07.123456789Z","project":"shop"}` + "\n\n"
	if string(data) != want {
		t.Errorf("stream:\n%s\nwant:\n%s", data, want)
	}
}

// docs/spec/runtime.md §15.2 logs endpoint: history with tail, then follow.
func TestControlAPILogs(t *testing.T) {
	fp := controltest.NewPlane("shop", controltest.ShopViews()...)
	srv, root := testAPI(t, fp, false)
	path := controltest.WriteLog(t, root, "shop", "db", logfile.Record{TS: at(1), Stream: "stdout", Line: "one"},
		logfile.Record{TS: at(2), Stream: "stderr", Line: "two"})
	resp, err := http.Get(srv.URL + "/api/resources/db/logs?tail=1")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "application/x-ndjson" || string(data) != `{"ts":"2025-03-04T05:06:02.000000001Z","stream":"stderr","line":"two"}`+"\n" {
		t.Errorf("history: %s %q", resp.Header.Get("Content-Type"), data)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/resources/db/logs?follow=1&tail=0", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"ts":"2025-03-04T05:06:09.000000001Z","stream":"stdout","line":"three"}` + "\n")
	f.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.Contains(line, `"line":"three"`) {
		t.Errorf("followed line %q (%v)", line, err)
	}
}

// docs/spec/runtime.md §15.4, §17 item 61.
func TestControlAPIMetrics(t *testing.T) {
	fp := controltest.NewPlane("shop", controltest.ShopViews()...)
	srv, _ := testAPI(t, fp, false)
	ts := time.Now()
	fp.Publish(actors.Event{Type: actors.ResourceStarted, Resource: "db", TS: ts})
	fp.Publish(actors.Event{Type: actors.ResourceHealthy, Resource: "db", TS: ts.Add(300 * time.Millisecond)})
	var body string
	controltest.WaitFor(t, func() bool {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		body = string(data)
		return strings.Contains(body, "lsctl_ready_seconds_count 1")
	})
	for _, want := range []string{
		`lsctl_resources{status="healthy"} 1`, `lsctl_resources{status="running"} 1`, `lsctl_resources{status="failed"} 0`,
		`lsctl_restarts_total{resource="db"} 2`, `lsctl_restarts_total{resource="api"} 0`,
		`lsctl_ready_seconds_bucket{le="0.5"} 1`, `lsctl_ready_seconds_bucket{le="0.25"} 0`, "# TYPE lsctl_uptime_seconds gauge",
		"# HELP lsctl_resources",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

// docs/spec/runtime.md §15.5, §17 item 63.
func TestControlAPITCPProtection(t *testing.T) {
	srv, _ := testAPI(t, controltest.NewPlane("shop", controltest.ShopViews()...), true)
	tests := []struct {
		name    string
		host    string
		headers map[string]string
		status  int
	}{
		{"foreign host", "attacker.example", nil, 403},
		{"origin port differs", "127.0.0.1:49152", map[string]string{"Origin": "http://localhost:3000"}, 403},
		{"cross-site fetch", "127.0.0.1:49152", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"https origin", "127.0.0.1:49152", map[string]string{"Origin": "https://127.0.0.1:49152"}, 403},
		{"no origin", "127.0.0.1:49152", nil, 200},
		{"same origin", "localhost:49152", map[string]string{"Origin": "http://LOCALHOST:49152"}, 200},
		{"ipv6 loopback", "[::1]:8080", nil, 200},
	}
	// A state-changing request that only the cookie authenticates needs Origin.
	for _, tt := range []struct {
		name    string
		cookie  bool
		headers map[string]string
		status  int
	}{
		{"cookie write without origin", true, nil, 403},
		{"cookie write with origin", true, map[string]string{"Origin": "http://127.0.0.1:49152"}, 202},
		{"bearer write without origin", false, nil, 202},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", srv.URL+"/api/resources/db/restart", nil)
			if tt.cookie {
				req.AddCookie(&http.Cookie{Name: tokenCookie, Value: testToken})
			} else {
				withToken(req)
			}
			req.RequestURI, req.Host = "", "127.0.0.1:49152"
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := withToken(httptest.NewRequest("GET", srv.URL+"/healthz", nil))
			req.RequestURI = ""
			req.Host = tt.host
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d (%s)", resp.StatusCode, tt.status, data)
			}
			if tt.status == 403 && strings.TrimSpace(string(data)) != `{"error":"forbidden cross-origin request"}` {
				t.Errorf("403 body %s", data)
			}
			if resp.Header.Get("X-Frame-Options") != "DENY" {
				t.Error("X-Frame-Options missing")
			}
		})
	}
}

// docs/spec/runtime.md §17 item 62: the socket is mode 0600 and disappears on close; the CLI
// client finds the running up through it.
func TestControlSocketAndClient(t *testing.T) {
	root := t.TempDir()
	fp := controltest.NewPlane("shop", controltest.ShopViews()...)
	if err := os.MkdirAll(plan.ProjectDir(root, "shop"), 0o700); err != nil {
		t.Fatal(err)
	}
	cs, err := Start(Config{DataRoot: root, Project: "shop", Plane: fp, DashboardPort: -1})
	if err != nil {
		t.Fatal(err)
	}
	sock := Socket(root, "shop")
	st, err := os.Stat(sock)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("socket %v mode %v", err, st)
	}
	c, err := Dial(context.Background(), root, "shop")
	if err != nil {
		t.Fatal(err)
	}
	views, err := c.Views(context.Background())
	if err != nil || len(views) != 2 || views[0].Name != "db" || views[0].Status != "healthy" {
		t.Errorf("Views = %v, %v", views, err)
	}
	if _, err := Dial(context.Background(), root, "other"); !errors.Is(err, ErrNoUp) {
		t.Errorf("another project's socket must not answer: %v", err)
	}
	cs.Close()
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket still exists after close: %v", err)
	}
	if _, err := Dial(context.Background(), root, "shop"); !errors.Is(err, ErrNoUp) {
		t.Errorf("after close: %v", err)
	}
}

// docs/spec/runtime.md §15.1, §15.5: the dashboard is served on the TCP listener only, as
// static files without inline script.
func TestDashboardFiles(t *testing.T) {
	srv, _ := testAPI(t, controltest.NewPlane("shop", controltest.ShopViews()...), true)
	tests := []struct {
		path, contentType string
		status            int
	}{
		{"/", "text/html; charset=utf-8", 200},
		{"/assets/app.js", "text/javascript; charset=utf-8", 200},
		{"/assets/style.css", "text/css; charset=utf-8", 200},
		{"/assets/util.js", "text/javascript; charset=utf-8", 200},
		{"/assets/resources.js", "text/javascript; charset=utf-8", 200},
		{"/assets/graph.js", "text/javascript; charset=utf-8", 200},
		{"/assets/timeline.js", "text/javascript; charset=utf-8", 200},
		{"/assets/traces.js", "text/javascript; charset=utf-8", 200},
		{"/assets/logs.js", "text/javascript; charset=utf-8", 200},
		{"/assets/otellogs.js", "text/javascript; charset=utf-8", 200},
		{"/assets/index.html", "application/json", 404},
		{"/assets/nope.js", "application/json", 404},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
		resp, err := http.DefaultClient.Do(withToken(req))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != tt.contentType {
			t.Errorf("%s: %d %s", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if tt.path == "/" && (strings.Contains(string(data), "<script>") || !strings.Contains(string(data), `src="/assets/app.js"`)) {
			t.Errorf("index.html must load its script from /assets only")
		}
	}
}

// docs/spec/runtime.md §20.6: the dashboard works offline: no embedded file names another
// origin (the SVG namespace is a name, not a fetch), and every module it imports is
// embedded.
func TestDashboardIsSelfContained(t *testing.T) {
	entries, err := dashboardFiles.ReadDir("dashboard")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range entries {
		names[e.Name()] = true
	}
	imports := regexp.MustCompile(`from "\./([a-z]+\.js)"`)
	for name := range names {
		data, _ := dashboardFiles.ReadFile("dashboard/" + name)
		text := strings.ReplaceAll(string(data), "http://www.w3.org/2000/svg", "")
		if strings.Contains(text, "://") {
			t.Errorf("%s names another origin", name)
		}
		for _, m := range imports.FindAllStringSubmatch(text, -1) {
			if !names[m[1]] {
				t.Errorf("%s imports %s, which is not embedded", name, m[1])
			}
		}
	}
}

// docs/spec/runtime.md §15.1: an over-long socket path is refused with a hint; a stale socket
// file (no listener) is replaced.
func TestListenSocket(t *testing.T) {
	long := "/tmp/" + strings.Repeat("d", 100) + "/control.sock"
	if _, err := listenSocket(long); err == nil || !strings.Contains(err.Error(), "use a shorter --data-root") {
		t.Errorf("long path: %v", err)
	}
	path := t.TempDir() + "/control.sock"
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := listenSocket(path)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	defer ln.Close()
	// The file appears listening and restricted: it was renamed into place.
	if st, err := os.Stat(path); err != nil || st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o600 {
		t.Errorf("control socket %v, %v; want a socket with mode 0600", st.Mode(), err)
	}
	if _, err := os.Lstat(filepath.Join(filepath.Dir(path), ".ctl")); err == nil {
		t.Error("the temporary socket name is left behind")
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("connect to the renamed socket: %v", err)
	}
	conn.Close()
	if _, err := listenSocket(path); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("a live socket must not be replaced: %v", err)
	}
	exact := "/tmp/" + strings.Repeat("e", maxSocketPath-len("/tmp/")-len("/control.sock")) + "/control.sock"
	if _, err := listenSocket(exact); err != nil && strings.Contains(err.Error(), "use a shorter --data-root") {
		t.Errorf("a %d-byte path must be accepted: %v", len(exact), err)
	}
}

// docs/spec/runtime.md §15.1: --dashboard-port 0 picks a free port, gives its URL, and serves
// the same API behind the TCP protection.
func TestDashboardListener(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(plan.ProjectDir(root, "shop"), 0o700); err != nil {
		t.Fatal(err)
	}
	cs, err := Start(Config{DataRoot: root, Project: "shop", Plane: controltest.NewPlane("shop", controltest.ShopViews()...)})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	printed := cs.Dashboard
	base, token, _ := strings.Cut(printed, "?token=")
	if !strings.HasPrefix(base, "http://127.0.0.1:") || len(token) != 64 {
		t.Fatalf("dashboard URL %q", printed)
	}
	// A browser opening the printed URL gets the cookie, then every request passes.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(printed)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.String() != base {
		t.Errorf("opening the printed URL: %d at %s, want 200 at %s", resp.StatusCode, resp.Request.URL, base)
	}
	resp, err = browser.Get(base + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz over TCP with the cookie: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", base+"api/resources", nil)
	req.Header.Set("Origin", "http://evil.example")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("cross-origin request over TCP: %d, want 403", resp.StatusCode)
	}
}

// The owner endpoints: shutdown with a grace or a kill, release only from a
// background supervisor and only over the unix socket (issue 11).
func TestControlAPIOwnerEndpoints(t *testing.T) {
	type call struct {
		grace time.Duration
		kill  bool
	}
	var calls []call
	released := 0
	own := &Owner{Supervisor: true,
		Shutdown: func(g time.Duration, kill bool) { calls = append(calls, call{g, kill}) },
		Release:  func() error { released++; return nil }}
	for _, tcp := range []bool{false, true} {
		m, stop := newMetrics(controltest.NewPlane("shop"), time.Now(), nil)
		defer stop()
		srv := httptest.NewServer(&controlAPI{cp: controltest.NewPlane("shop"), dataRoot: t.TempDir(), tcp: tcp, metrics: m, owner: own, token: testToken})
		defer srv.Close()
		for _, tt := range []struct {
			path   string
			status int
		}{{"/api/shutdown?grace=5s", 202}, {"/api/shutdown?kill=1", 202}, {"/api/shutdown?grace=soon", 400}, {"/api/release", map[bool]int{false: 202, true: 404}[tcp]}} {
			req, _ := http.NewRequest("POST", srv.URL+tt.path, nil)
			resp, err := http.DefaultClient.Do(withToken(req))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("tcp=%v POST %s: %d, want %d", tcp, tt.path, resp.StatusCode, tt.status)
			}
		}
		var health OwnerInfo
		req, _ := http.NewRequest("GET", srv.URL+"/healthz", nil)
		resp, err := http.DefaultClient.Do(withToken(req))
		if err != nil {
			t.Fatal(err)
		}
		_ = json.NewDecoder(resp.Body).Decode(&health)
		resp.Body.Close()
		if !health.Supervisor || health.PID != os.Getpid() {
			t.Errorf("healthz %+v", health)
		}
	}
	want := []call{{5 * time.Second, false}, {0, true}, {5 * time.Second, false}, {0, true}}
	if fmt.Sprint(calls) != fmt.Sprint(want) || released != 1 {
		t.Errorf("shutdown calls %v (want %v), releases %d (want 1)", calls, want, released)
	}
}

// Issue 12 item 6: the TCP listener answers only requests that carry the token, as
// the HttpOnly SameSite cookie that the printed URL sets, or as a bearer header; the
// unix socket, 0600 already, needs none.
func TestDashboardToken(t *testing.T) {
	srv, _ := testAPI(t, controltest.NewPlane("shop", controltest.ShopViews()...), true)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct {
		name   string
		path   string
		header string
		status int
	}{
		{"no token", "/api/resources", "", 401},
		{"wrong bearer", "/api/resources", "Bearer nope", 401},
		{"wrong query", "/?token=nope", "", 401},
		{"bearer", "/api/resources", "Bearer " + testToken, 200},
		{"printed URL", "/?token=" + testToken, "", 303},
		{"cookie", "/metrics", "cookie", 200},
	} {
		req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
		switch tt.header {
		case "":
		case "cookie":
			req.AddCookie(&http.Cookie{Name: tokenCookie, Value: testToken})
		default:
			req.Header.Set("Authorization", tt.header)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
		if tt.status == 303 {
			c := resp.Header.Get("Set-Cookie")
			if !strings.Contains(c, tokenCookie+"="+testToken) || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict") || resp.Header.Get("Location") != "/" {
				t.Errorf("token exchange: Set-Cookie %q, Location %q", c, resp.Header.Get("Location"))
			}
		}
	}
	unix, _ := testAPI(t, controltest.NewPlane("shop", controltest.ShopViews()...), false)
	resp, err := http.Get(unix.URL + "/api/resources")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("the socket's API without a token: %d, want 200", resp.StatusCode)
	}
}
