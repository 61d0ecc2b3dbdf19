package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lightshuttle/lsctl/actors"
)

// maxSocketPath is the longest unix socket path Linux accepts (sun_path less the NUL).
const maxSocketPath = 107

// keepaliveEvery is the SSE comment interval on a silent stream (docs/spec/runtime.md §15.3).
const keepaliveEvery = 15 * time.Second

// Plane is what the control API needs of a running stack (*actors.Handle).
type Plane interface {
	Project() string
	List() []actors.View
	Get(name string) (actors.View, bool)
	Restart(name string) error
	Subscribe(external bool) (<-chan actors.Event, func())
	// Containerd reports whether the runtime answers (nil), else why not.
	Containerd(ctx context.Context) error
}

// controlAPI serves docs/spec/runtime.md §15 for one project.
type controlAPI struct {
	cp       Plane
	dataRoot string
	tcp      bool // apply the TCP listener protection of §15.5
	metrics  *metrics
	owner    *Owner
	token    string     // required on the TCP listener (docs/spec/runtime.md §15.5)
	tel      *Telemetry // nil: no receiver, startup trace, history or stats
}

// Owner is what the process that owns the stack does for the endpoints that
// end its supervision: stop the stack, or (a background supervisor only) let go of
// it so that a new supervisor takes it over.
type Owner struct {
	Supervisor bool
	Shutdown   func(grace time.Duration, kill bool)
	Release    func() error // nil in a foreground up
}

// hooks returns the owner's hooks; an API built without them has none.
func (api *controlAPI) hooks() *Owner {
	if api.owner == nil {
		return &Owner{}
	}
	return api.owner
}

// Server is the running control API: the unix socket and the optional TCP
// dashboard listener.
type Server struct {
	servers []*http.Server
	socket  string
	stopM   func()
	// Dashboard is the dashboard's URL with its token, "" without the TCP listener.
	Dashboard string
}

// Config is what Start serves.
type Config struct {
	DataRoot string
	Project  string
	Plane    Plane
	// DashboardPort opens the dashboard listener on 127.0.0.1 when >= 0 (0: any port).
	DashboardPort int
	Owner         *Owner     // nil: the shutdown and release endpoints answer that they cannot
	Telemetry     *Telemetry // nil: no receiver, startup trace, history or stats
}

// Start opens the project socket (and the dashboard listener when asked) before the
// stack starts (docs/spec/runtime.md §15.1).
func Start(c Config) (*Server, error) {
	own := c.Owner
	if own == nil {
		own = &Owner{}
	}
	socket := Socket(c.DataRoot, c.Project)
	ln, err := listenSocket(socket)
	if err != nil {
		return nil, err
	}
	m, stopM := newMetrics(c.Plane, time.Now(), c.Telemetry)
	cs := &Server{socket: socket, stopM: stopM}
	cs.serve(ln, &controlAPI{cp: c.Plane, dataRoot: c.DataRoot, metrics: m, owner: own, tel: c.Telemetry})
	if c.DashboardPort >= 0 {
		tln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", c.DashboardPort))
		if err != nil {
			cs.Close()
			return nil, fmt.Errorf("open dashboard listener on 127.0.0.1:%d: %w", c.DashboardPort, err)
		}
		token := newDashboardToken()
		cs.serve(tln, &controlAPI{cp: c.Plane, dataRoot: c.DataRoot, tcp: true, metrics: m, owner: own, token: token, tel: c.Telemetry})
		cs.Dashboard = fmt.Sprintf("http://%s/?token=%s", tln.Addr(), token)
	}
	return cs, nil
}

// listenSocket listens on a fresh socket file with mode 0600, replacing a stale one.
// The socket is bound under a temporary name, restricted, then renamed into place, so
// that the control path only ever names a listening socket with its final mode: a
// client that finds the file can connect (a bound socket refuses connections until
// listen), and nobody connects while it is still world-accessible.
func listenSocket(path string) (net.Listener, error) {
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("control socket path %s is %d bytes, longer than the %d Linux allows; use a shorter --data-root", path, len(path), maxSocketPath)
	}
	// Not longer than path's own name, so it fits whenever path does; the project
	// lock keeps a second up of the project from using it at the same time.
	tmp := filepath.Join(filepath.Dir(path), ".ctl")
	if err := RemoveStaleSocket(path); err != nil {
		return nil, err
	}
	_ = os.Remove(tmp) // left by an up killed between bind and rename
	ln, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, fmt.Errorf("open control socket %s: %w", path, err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false) // its name changes; close removes the final one
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("restrict control socket %s to 0600: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("open control socket %s: %w", path, err)
	}
	return ln, nil
}

// RemoveStaleSocket removes a control socket file that no up listens on, as left by
// an up killed with SIGKILL (docs/spec/runtime.md §12.9); a socket that answers is an error.
func RemoveStaleSocket(path string) error {
	if _, err := os.Lstat(path); err != nil {
		return nil
	}
	if conn, err := net.DialTimeout("unix", path, time.Second); err == nil {
		conn.Close()
		return fmt.Errorf("control socket %s is in use by another lsctl up", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale control socket %s: %w", path, err)
	}
	return nil
}

func (cs *Server) serve(ln net.Listener, api *controlAPI) {
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	cs.servers = append(cs.servers, srv)
	go func() { _ = srv.Serve(ln) }()
}

// Close stops the listeners and removes the socket file.
func (cs *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, srv := range cs.servers {
		if srv.Shutdown(ctx) != nil {
			srv.Close() // streams still open (events, logs -F): cut them
		}
	}
	if cs.stopM != nil {
		cs.stopM()
	}
	_ = os.Remove(cs.socket)
}

// route is one endpoint: method and the handler for the matched path.
type route struct {
	method string
	handle func(w http.ResponseWriter, r *http.Request, name string)
}

// match finds the endpoint of a path; name is the {name} segment when there is one.
func (api *controlAPI) match(path string) (rt *route, name string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case api.tcp && (path == "/" || len(segs) == 2 && segs[0] == "assets"):
		return &route{http.MethodGet, api.dashboard}, ""
	case len(segs) == 1 && segs[0] == "healthz":
		return &route{http.MethodGet, api.healthz}, ""
	case len(segs) == 1 && segs[0] == "metrics":
		return &route{http.MethodGet, api.metricsHandler}, ""
	case len(segs) == 2 && segs[0] == "api" && segs[1] == "resources":
		return &route{http.MethodGet, api.listResources}, ""
	case len(segs) == 2 && segs[0] == "api" && segs[1] == "events":
		return &route{http.MethodGet, api.events}, ""
	case len(segs) == 2 && segs[0] == "api" && segs[1] == "shutdown":
		return &route{http.MethodPost, api.shutdown}, ""
	case len(segs) == 2 && segs[0] == "api" && segs[1] == "release" && !api.tcp:
		return &route{http.MethodPost, api.release}, ""
	case len(segs) >= 2 && segs[0] == "api" && (segs[1] == "otel" || segs[1] == "startup" || segs[1] == "history" || segs[1] == "stats"):
		return api.matchTelemetry(segs[1:])
	case len(segs) == 3 && segs[0] == "api" && segs[1] == "resources":
		return &route{http.MethodGet, api.getResource}, segs[2]
	case len(segs) == 4 && segs[0] == "api" && segs[1] == "resources" && segs[3] == "restart":
		return &route{http.MethodPost, api.restart}, segs[2]
	case len(segs) == 4 && segs[0] == "api" && segs[1] == "resources" && segs[3] == "logs":
		return &route{http.MethodGet, api.logs}, segs[2]
	case len(segs) == 4 && segs[0] == "api" && segs[1] == "resources" && api.handRoute(segs[3]) != nil:
		return api.handRoute(segs[3]), segs[2]
	}
	return nil, ""
}

// ServeHTTP applies the security headers and the TCP protection, then routes.
func (api *controlAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	if api.tcp && !sameOriginRequest(r) {
		writeJSON(w, http.StatusForbidden, map[string]any{"error": "forbidden cross-origin request"})
		return
	}
	if api.tcp && !authorized(r, api.token) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "missing or wrong token: open the dashboard URL that lsctl up printed (it ends in ?token=...)"})
		return
	}
	if api.tcp && exchangeToken(w, r, api.token) {
		return
	}
	rt, name := api.match(r.URL.Path)
	switch {
	case rt == nil:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "not found"})
	case r.Method != rt.method && !(rt.method == http.MethodGet && r.Method == http.MethodHead):
		w.Header().Set("Allow", rt.method)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "method not allowed"})
	default:
		rt.handle(w, r, name)
	}
}

func (api *controlAPI) healthz(w http.ResponseWriter, r *http.Request, _ string) {
	info := OwnerInfo{Status: "ok", Project: api.cp.Project(), PID: os.Getpid(), Supervisor: api.hooks().Supervisor,
		Containerd: ContainerdAvailable}
	if err := api.cp.Containerd(r.Context()); err != nil {
		info.Containerd, info.ContainerdError = ContainerdUnavailable, err.Error()
	}
	writeJSON(w, http.StatusOK, info)
}

// shutdown begins the ordered shutdown (202); `grace` overrides the stop grace
// period and `kill=1` kills every remaining task, as a second Ctrl-C does. Follow
// /api/events to see it end.
func (api *controlAPI) shutdown(w http.ResponseWriter, r *http.Request, _ string) {
	if api.hooks().Shutdown == nil {
		writeJSON(w, http.StatusNotImplemented, map[string]any{"error": "this lsctl cannot be stopped through its API"})
		return
	}
	var grace time.Duration
	if g := r.URL.Query().Get("grace"); g != "" {
		d, err := time.ParseDuration(g)
		if err != nil || d < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid grace"})
			return
		}
		grace = d
	}
	api.owner.Shutdown(grace, r.URL.Query().Get("kill") == "1")
	writeJSON(w, http.StatusAccepted, map[string]any{"accepted": true})
}

// release makes a background supervisor exit without stopping anything (202), so that
// a new `up` takes the stack over. Only on the unix socket.
func (api *controlAPI) release(w http.ResponseWriter, _ *http.Request, _ string) {
	if api.hooks().Release == nil {
		writeJSON(w, http.StatusConflict, map[string]any{"error": "not a background supervisor"})
		return
	}
	if err := api.owner.Release(); err != nil {
		writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"accepted": true})
}

func (api *controlAPI) listResources(w http.ResponseWriter, _ *http.Request, _ string) {
	views := api.cp.List()
	if views == nil {
		views = []actors.View{}
	}
	writeJSON(w, http.StatusOK, views)
}

func (api *controlAPI) getResource(w http.ResponseWriter, _ *http.Request, name string) {
	v, ok := api.cp.Get(name)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "unknown resource", "resource": name})
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// restart accepts a restart (202) that runs in the background (docs/spec/runtime.md §15.2).
func (api *controlAPI) restart(w http.ResponseWriter, _ *http.Request, name string) {
	err := api.cp.Restart(name)
	switch {
	case err == nil:
		writeJSON(w, http.StatusAccepted, map[string]any{"resource": name, "accepted": true})
	case errors.Is(err, actors.ErrUnknownResource):
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "unknown resource", "resource": name})
	case errors.Is(err, actors.ErrRestartInProgress):
		writeJSON(w, http.StatusConflict, map[string]any{"error": "restart already in progress", "resource": name})
	case errors.Is(err, actors.ErrStackStarting):
		writeJSON(w, http.StatusConflict, map[string]any{"error": "stack is starting", "resource": name})
	case errors.Is(err, actors.ErrStackStopping):
		writeJSON(w, http.StatusConflict, map[string]any{"error": "stack is stopping", "resource": name})
	default:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
	}
}

// writeJSON writes a JSON response with the headers of docs/spec/runtime.md §15.1,
// one line without HTML escaping ("->" stays readable in messages).
func writeJSON(w http.ResponseWriter, status int, v any) {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		status = http.StatusInternalServerError
		body.Reset()
		body.WriteString(`{"error":"cannot encode response"}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body.Bytes())
}
