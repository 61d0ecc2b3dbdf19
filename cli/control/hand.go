package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"github.com/moby/sys/signal"
	"golang.org/x/sys/unix"

	"github.com/lightshuttle/lsctl/actors"
)

// handControl is what the control API needs for stop, start and kill by hand
// (*actors.Handle); a control plane without it answers 501.
type handControl interface {
	StopResource(name string, grace time.Duration) (bool, error)
	StartResource(name string) (bool, error)
	KillResource(ctx context.Context, name string, sig syscall.Signal) (handled bool, err error)
}

// handOps are the POST /api/resources/{name}/<op> endpoints of handControl.
var handOps = map[string]func(api *controlAPI, w http.ResponseWriter, r *http.Request, name string){
	"stop":  (*controlAPI).stopResource,
	"start": (*controlAPI).startResource,
	"kill":  (*controlAPI).killResource,
}

// handRoute returns the route of a stop, start or kill endpoint, or nil.
func (api *controlAPI) handRoute(op string) *route {
	h, ok := handOps[op]
	if !ok {
		return nil
	}
	return &route{http.MethodPost, func(w http.ResponseWriter, r *http.Request, name string) {
		if _, ok := api.cp.(handControl); !ok {
			writeJSON(w, http.StatusNotImplemented, map[string]any{"error": "this lsctl cannot " + op + " resources"})
			return
		}
		h(api, w, r, name)
	}}
}

// stopResource stops a resource by hand: 202 and resource_stopped to follow, or 200
// with changed false when it is already stopped. `grace` overrides the stop grace.
func (api *controlAPI) stopResource(w http.ResponseWriter, r *http.Request, name string) {
	var grace time.Duration
	if g := r.URL.Query().Get("grace"); g != "" {
		d, err := time.ParseDuration(g)
		if err != nil || d < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid grace", "resource": name})
			return
		}
		grace = d
	}
	changed, err := api.cp.(handControl).StopResource(name, grace)
	api.handReply(w, name, changed, err)
}

// startResource starts a resource again: 202 and resource_healthy to follow, or 200
// with changed false when its task already runs.
func (api *controlAPI) startResource(w http.ResponseWriter, _ *http.Request, name string) {
	changed, err := api.cp.(handControl).StartResource(name)
	api.handReply(w, name, changed, err)
}

// killResource sends `signal` (a name or number, default SIGKILL) to the task: 200
// with whether its PID 1 handles it.
func (api *controlAPI) killResource(w http.ResponseWriter, r *http.Request, name string) {
	sig := syscall.SIGKILL
	if s := r.URL.Query().Get("signal"); s != "" {
		parsed, err := signal.ParseSignal(s)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid signal", "resource": name})
			return
		}
		sig = parsed
	}
	handled, err := api.cp.(handControl).KillResource(r.Context(), name, sig)
	if err != nil {
		api.handReply(w, name, false, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"resource": name, "signal": SignalName(sig), "handled": handled})
}

// handReply answers a stop or start, or any of their rejections.
func (api *controlAPI) handReply(w http.ResponseWriter, name string, changed bool, err error) {
	switch {
	case err == nil && changed:
		writeJSON(w, http.StatusAccepted, map[string]any{"resource": name, "accepted": true})
	case err == nil:
		v, _ := api.cp.Get(name)
		writeJSON(w, http.StatusOK, map[string]any{"resource": name, "changed": false, "status": v.Status})
	case errors.Is(err, actors.ErrUnknownResource):
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "unknown resource", "resource": name})
	case errors.Is(err, actors.ErrNotRunning):
		v, _ := api.cp.Get(name)
		writeJSON(w, http.StatusConflict, map[string]any{"error": "not running", "resource": name, "status": v.Status})
	case errors.Is(err, actors.ErrBusy), errors.Is(err, actors.ErrStackStarting), errors.Is(err, actors.ErrStackStopping),
		errors.Is(err, actors.ErrResourceCrashed):
		writeJSON(w, http.StatusConflict, map[string]any{"error": errors.Unwrap(err).Error(), "resource": name})
	default:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error(), "resource": name})
	}
}

// SignalName is SIGTERM for 15, or the number when it has no name.
func SignalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return fmt.Sprint(int(sig))
}

// postHand asks the owner to stop, start or kill a resource; it returns the HTTP
// status and the decoded body.
func (c *Client) PostHand(ctx context.Context, resource, op string, query url.Values) (int, HandAnswer, error) {
	u := "http://lsctl/api/resources/" + url.PathEscape(resource) + "/" + op
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return 0, HandAnswer{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, HandAnswer{}, fmt.Errorf("%s %q through %s: %w", op, resource, c.Owner(), err)
	}
	defer resp.Body.Close()
	var body HandAnswer
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
	return resp.StatusCode, body, nil
}
