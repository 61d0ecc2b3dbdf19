package control

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/containerdrt/logfile"
	"github.com/lightshuttle/lsctl/plan"
)

// events streams Server-Sent Events (docs/spec/runtime.md §15.3). The subscription is taken
// before the headers are written, so a client that has the headers cannot miss an
// event published afterwards.
func (api *controlAPI) events(w http.ResponseWriter, r *http.Request, _ string) {
	past, ch, unsubscribe, err := api.subscribe(r.URL.Query().Get("since"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	defer unsubscribe()
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flush := func() {
		if flusher != nil {
			flusher.Flush()
		}
	}
	for _, e := range past {
		if writeEvent(w, e) != nil {
			return
		}
	}
	flush()
	keepalive := time.NewTicker(keepaliveEvery)
	defer keepalive.Stop()
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				return // dropped (fell behind) or the bus closed
			}
			if writeEvent(w, e) != nil {
				return
			}
			flush()
			keepalive.Reset(keepaliveEvery)
			if e.Type == actors.StackStopped {
				return
			}
		case <-keepalive.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
			flush()
		case <-r.Context().Done():
			return
		}
	}
}

// writeEvent writes one Server-Sent Event.
func writeEvent(w io.Writer, e actors.Event) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "data: %s\n\n", data)
	return err
}

// logs streams a resource's log records as NDJSON: history (all, or the last tail
// records), then with follow=1 new records until the client leaves (docs/spec/runtime.md §15.2).
func (api *controlAPI) logs(w http.ResponseWriter, r *http.Request, name string) {
	if _, ok := api.cp.Get(name); !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "unknown resource", "resource": name})
		return
	}
	q := r.URL.Query()
	tail := -1
	if v := q.Get("tail"); v != "" || q.Has("tail") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid tail"})
			return
		}
		tail = n
	}
	follow := q.Get("follow") != "" && q.Get("follow") != "0"
	path := plan.LogPath(api.dataRoot, api.cp.Project(), name)
	recs, offset, err := logfile.ReadWithOffset(path, tail)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	for _, rec := range recs {
		if enc.Encode(rec) != nil {
			return
		}
	}
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	if !follow {
		return
	}
	for rec := range logfile.Follow(r.Context(), path, offset) {
		if enc.Encode(rec) != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
}
