package actors

import "sync"

// externalBuffer is the queue length of an external subscriber (docs/spec/runtime.md §13.2).
const externalBuffer = 256

// bus fans events out to subscribers. Publishing never blocks: internal subscribers
// have their own unbounded queue drained by a goroutine; external ones have a bounded
// channel and are disconnected when it is full.
type bus struct {
	mu      sync.Mutex
	subs    map[*subscriber]struct{}
	closed  bool
	history []Event // the last historyLength events, oldest first
}

// subscriber is one Subscribe call.
type subscriber struct {
	external bool
	out      chan Event
	// internal subscribers only: the queue the pump goroutine drains into out.
	mu      sync.Mutex
	queue   []Event
	wake    chan struct{} // capacity 1: "queue changed or ending"
	ending  bool          // bus closed: drain the queue then close out
	stop    chan struct{} // cancel: close out at once
	stopped sync.Once
}

func newBus() *bus { return &bus{subs: map[*subscriber]struct{}{}} }

// publish delivers e to every subscriber without blocking.
func (b *bus) publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.remember(e)
	for s := range b.subs {
		if !s.external {
			s.enqueue(e)
			continue
		}
		select {
		case s.out <- e:
		default: // fell behind: disconnect (docs/spec/runtime.md §13.2)
			delete(b.subs, s)
			close(s.out)
		}
	}
}

// subscribe registers a subscriber; after close it returns a closed channel.
func (b *bus) subscribe(external bool) (<-chan Event, func()) {
	_, ch, cancel := b.subscribeSince(external, nil)
	return ch, cancel
}

// subscribeSince is subscribe that also returns the remembered events accepted by
// past, taken in the same step: no event is missed or seen twice between the two.
func (b *bus) subscribeSince(external bool, past func(Event) bool) ([]Event, <-chan Event, func()) {
	s := &subscriber{external: external}
	if external {
		s.out = make(chan Event, externalBuffer)
	} else {
		s.out = make(chan Event)
		s.wake = make(chan struct{}, 1)
		s.stop = make(chan struct{})
	}
	b.mu.Lock()
	var before []Event
	if past != nil {
		for _, e := range b.history {
			if past(e) {
				before = append(before, e)
			}
		}
	}
	if b.closed {
		b.mu.Unlock()
		close(s.out)
		return before, s.out, func() {}
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	if !external {
		go s.pump()
	}
	return before, s.out, func() { b.unsubscribe(s) }
}

// unsubscribe removes s and ends its channel.
func (b *bus) unsubscribe(s *subscriber) {
	b.mu.Lock()
	_, ok := b.subs[s]
	delete(b.subs, s)
	b.mu.Unlock()
	if !ok {
		return
	}
	if s.external {
		close(s.out)
		return
	}
	s.stopped.Do(func() { close(s.stop) })
}

// close ends every subscription: internal subscribers still receive what is queued.
func (b *bus) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		delete(b.subs, s)
		if s.external {
			close(s.out)
			continue
		}
		s.mu.Lock()
		s.ending = true
		s.mu.Unlock()
		s.notify()
	}
}

// enqueue appends to the unbounded queue of an internal subscriber.
func (s *subscriber) enqueue(e Event) {
	s.mu.Lock()
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	s.notify()
}

// notify wakes the pump without blocking (one pending wake-up is enough).
func (s *subscriber) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pump moves queued events to out until cancelled, or until the bus closed and the
// queue is empty.
func (s *subscriber) pump() {
	defer close(s.out)
	for {
		s.mu.Lock()
		q, ending := s.queue, s.ending
		s.queue = nil
		s.mu.Unlock()
		for _, e := range q {
			select {
			case s.out <- e:
			case <-s.stop:
				return
			}
		}
		if len(q) > 0 {
			continue
		}
		if ending {
			return
		}
		select {
		case <-s.wake:
		case <-s.stop:
			return
		}
	}
}
