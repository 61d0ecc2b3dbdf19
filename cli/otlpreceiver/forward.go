package otlpreceiver

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// forwardBudget bounds the bytes waiting to be forwarded: an external collector that
// is slow or down costs at most this much memory, later batches are dropped.
const forwardBudget = 8 << 20

// forwardTimeout bounds one export to the external collector.
const forwardTimeout = 10 * time.Second

// Forwarder sends OTLP/HTTP protobuf batches to an external collector, in the
// background, one at a time, in order. It never blocks its callers: a batch that
// does not fit in the budget is dropped and counted.
type Forwarder struct {
	base   string // endpoint without a trailing slash; /v1/<signal> is appended
	client *http.Client
	log    *slog.Logger

	mu       sync.Mutex
	queue    []forwardItem
	queued   int // bytes
	wake     chan struct{}
	closed   bool
	done     chan struct{}
	sent     uint64
	dropped  uint64
	failures uint64
}

type forwardItem struct {
	signal string
	body   []byte
}

// NewForwarder starts a forwarder to endpoint (the base URL of an OTLP/HTTP
// collector, as in OTEL_EXPORTER_OTLP_ENDPOINT; the manifest checked its shape).
func NewForwarder(endpoint string, log *slog.Logger) (*Forwarder, error) {
	if _, err := url.Parse(endpoint); err != nil {
		return nil, fmt.Errorf("invalid OTLP endpoint %q: %w", endpoint, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Forwarder{base: strings.TrimRight(endpoint, "/"), log: log,
		client: &http.Client{Timeout: forwardTimeout}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go f.run()
	return f, nil
}

// Endpoint is the collector's base URL.
func (f *Forwarder) Endpoint() string { return f.base }

// Enqueue queues one protobuf-encoded export request of a signal.
func (f *Forwarder) Enqueue(signal string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || f.queued+len(body) > forwardBudget {
		f.dropped++
		return
	}
	f.queue = append(f.queue, forwardItem{signal, body})
	f.queued += len(body)
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// ForwardStats are the forwarder's counters, in batches.
type ForwardStats struct {
	Sent     uint64 `json:"sent"`
	Dropped  uint64 `json:"dropped"`
	Failures uint64 `json:"failures"`
}

// Stats returns the counters.
func (f *Forwarder) Stats() ForwardStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return ForwardStats{Sent: f.sent, Dropped: f.dropped, Failures: f.failures}
}

// Close sends what is queued, waiting at most wait, then stops.
func (f *Forwarder) Close(wait time.Duration) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed = true
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
	select {
	case <-f.done:
	case <-time.After(wait):
	}
}

func (f *Forwarder) run() {
	defer close(f.done)
	for {
		item, ok, closed := f.next()
		if !ok {
			if closed {
				return
			}
			<-f.wake
			continue
		}
		err := f.send(item)
		f.mu.Lock()
		if err != nil {
			f.failures++
		} else {
			f.sent++
		}
		f.mu.Unlock()
		if err != nil && (f.Stats().Failures == 1 || f.Stats().Failures%100 == 0) {
			// The first failure and every hundredth: a collector that is down must
			// not fill the owner's log.
			f.log.Warn("forwarding OTLP to the external collector failed", "endpoint", f.base, "signal", item.signal, "error", err)
		}
	}
}

// next takes the oldest queued batch.
func (f *Forwarder) next() (item forwardItem, ok, closed bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queue) == 0 {
		return forwardItem{}, false, f.closed
	}
	item, f.queue = f.queue[0], f.queue[1:]
	f.queued -= len(item.body)
	return item, true, f.closed
}

func (f *Forwarder) send(item forwardItem) error {
	ctx, cancel := context.WithTimeout(context.Background(), forwardTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.base+"/v1/"+item.signal, bytes.NewReader(item.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentProtobuf)
	resp, err := f.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", req.URL, resp.Status)
	}
	return nil
}
