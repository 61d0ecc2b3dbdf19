package actors

import "time"

// historyLength is how many past events the bus remembers for SubscribeSince: the
// lifecycle of a working day's stack (`lsctl events --since`) at a few hundred bytes
// each.
const historyLength = 1000

// remember appends e to the history, forgetting the oldest beyond historyLength.
// The caller holds b.mu.
func (b *bus) remember(e Event) {
	if len(b.history) == historyLength {
		copy(b.history, b.history[1:])
		b.history = b.history[:historyLength-1]
	}
	b.history = append(b.history, e)
}

// SubscribeSince is Subscribe(true) that also returns the remembered events stamped at
// or after since (the last 1000 at most), oldest first, with no gap or overlap with
// the channel's.
func (h *Handle) SubscribeSince(since time.Time) ([]Event, <-chan Event, func()) {
	return h.env.bus.subscribeSince(true, func(e Event) bool { return !e.TS.Before(since) })
}
