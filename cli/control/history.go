package control

import (
	"errors"
	"time"

	"github.com/lightshuttle/lsctl/actors"
)

// eventReplay is a control plane that remembers past events (*actors.Handle).
type eventReplay interface {
	SubscribeSince(since time.Time) ([]actors.Event, <-chan actors.Event, func())
}

// subscribe opens the event stream of GET /api/events: from now on, or with since (a
// ts-format time) the remembered events stamped at or after it first.
func (api *controlAPI) subscribe(since string) ([]actors.Event, <-chan actors.Event, func(), error) {
	if since == "" {
		ch, cancel := api.cp.Subscribe(true)
		return nil, ch, cancel, nil
	}
	t, err := time.Parse(time.RFC3339Nano, since)
	if err != nil {
		return nil, nil, nil, errors.New("invalid since: expected an RFC 3339 time")
	}
	h, ok := api.cp.(eventReplay)
	if !ok {
		ch, cancel := api.cp.Subscribe(true)
		return nil, ch, cancel, nil
	}
	past, ch, cancel := h.SubscribeSince(t)
	return past, ch, cancel, nil
}
