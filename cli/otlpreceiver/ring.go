package otlpreceiver

import "sync"

// ring keeps the newest cap items of one signal: a push beyond the capacity
// overwrites the oldest item and counts it as dropped, so memory stays at cap items
// whatever the apps send.
type ring[T any] struct {
	mu       sync.Mutex
	items    []T
	next     int // index the next push writes
	full     bool
	received uint64
	dropped  uint64
}

func newRing[T any](capacity int) *ring[T] {
	return &ring[T]{items: make([]T, capacity)}
}

// push appends items, dropping the oldest when full.
func (r *ring[T]) push(items ...T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, it := range items {
		if r.full {
			r.dropped++
		}
		r.items[r.next] = it
		r.next++
		if r.next == len(r.items) {
			r.next, r.full = 0, true
		}
		r.received++
	}
}

// each calls f on the items from the oldest to the newest until f returns false.
func (r *ring[T]) each(f func(T) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	start, n := 0, r.next
	if r.full {
		start, n = r.next, len(r.items)
	}
	for i := 0; i < n; i++ {
		if !f(r.items[(start+i)%len(r.items)]) {
			return
		}
	}
}

// counts returns how many items were pushed, dropped and are held.
func (r *ring[T]) counts() (received, dropped uint64, held int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	held = r.next
	if r.full {
		held = len(r.items)
	}
	return r.received, r.dropped, held
}
