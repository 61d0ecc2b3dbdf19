package otlpreceiver

import (
	"time"
	"unicode/utf8"
)

// The receiver's bounds (docs/spec/runtime.md §20.1). A stored record keeps at most
// maxAttributes attributes of maxKeyBytes+maxValueBytes and a log body of
// maxLogBodyBytes, so one record costs a few KiB at most and a signal's ring at most
// Buffer times that, whatever the apps send.
const (
	// DefaultBuffer is the number of spans, log records and metric points kept per
	// signal when observability.otel.buffer is not set.
	DefaultBuffer = 2048
	// MaxRequestBytes caps a request body, after decompression (413 over HTTP,
	// ResourceExhausted over gRPC); it is also gRPC's default message limit.
	MaxRequestBytes = 4 << 20
	// maxInFlight requests are decoded at once; more wait briefly, then get 429
	// (HTTP) or ResourceExhausted (gRPC). With MaxRequestBytes it bounds the memory
	// that decoding can take.
	maxInFlight = 4
	// slotWait is how long an HTTP request waits for a decoding slot.
	slotWait = 250 * time.Millisecond
	// maxConns bounds the open connections per listener.
	maxConns = 64

	maxAttributes   = 16
	maxKeyBytes     = 64
	maxValueBytes   = 128
	maxNameBytes    = 256
	maxLogBodyBytes = 2048
)

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
