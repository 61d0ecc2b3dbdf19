package actors

import (
	"testing"
	"time"
)

// Issue 13 (lsctl events --since): the bus remembers the last events; a subscription
// since a time gets those at or after it, then every later one, none twice.
func TestSubscribeSince(t *testing.T) {
	b := newBus()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < historyLength+5; i++ {
		b.publish(Event{Type: ResourceHealthy, Resource: "db", TS: t0.Add(time.Duration(i) * time.Second), Attempt: i})
	}
	past, ch, cancel := b.subscribeSince(true, func(e Event) bool { return !e.TS.Before(t0.Add(1000 * time.Second)) })
	defer cancel()
	if len(past) != 5 || past[0].Attempt != 1000 || past[4].Attempt != 1004 {
		t.Fatalf("past: %d events, first %+v", len(past), past[0])
	}
	all, _, cancelAll := b.subscribeSince(true, func(Event) bool { return true })
	cancelAll()
	if len(all) != historyLength || all[0].Attempt != 5 {
		t.Fatalf("history keeps %d events from attempt %d, want %d from 5", len(all), all[0].Attempt, historyLength)
	}
	b.publish(Event{Type: ResourceStopped, Resource: "db", TS: t0.Add(2000 * time.Second)})
	if e := <-ch; e.Type != ResourceStopped {
		t.Fatalf("live event %+v", e)
	}
	b.close()
	if _, ok := <-ch; ok {
		t.Fatal("channel open after close")
	}
	past, ch, _ = b.subscribeSince(true, func(Event) bool { return true })
	if _, ok := <-ch; ok || len(past) != historyLength {
		t.Fatalf("after close: %d past events, channel open %v", len(past), ok)
	}
}
