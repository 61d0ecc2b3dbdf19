package control

import (
	"sync"

	"github.com/lightshuttle/lsctl/actors"
)

// historyPerResource is how many recent events the owner keeps per resource for the
// dashboard's health history (docs/spec/runtime.md §20.5).
const historyPerResource = 64

// EventHistory keeps the newest resource events of each resource, so that a
// dashboard opened late still shows how each resource got where it is.
type EventHistory struct {
	mu  sync.Mutex
	byR map[string][]actors.Event
}

// NewEventHistory returns an empty history.
func NewEventHistory() *EventHistory { return &EventHistory{byR: map[string][]actors.Event{}} }

// Add records a resource event; stack events are not kept.
func (h *EventHistory) Add(e actors.Event) {
	if e.IsStackEvent() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	evs := append(h.byR[e.Resource], e)
	if len(evs) > historyPerResource {
		evs = append([]actors.Event(nil), evs[len(evs)-historyPerResource:]...)
	}
	h.byR[e.Resource] = evs
}

// snapshot returns a copy: resource -> events, oldest first.
func (h *EventHistory) snapshot() map[string][]actors.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string][]actors.Event, len(h.byR))
	for r, evs := range h.byR {
		out[r] = append([]actors.Event(nil), evs...)
	}
	return out
}
