// Package logfile reads and writes lsctl's container log files (docs/spec/runtime.md §10): one JSON
// object per line, {"ts","stream","line"}, rotated at 10 MiB into .log.1 and .log.2.
package logfile

import (
	"encoding/json"
	"fmt"
	"time"
)

// TSFormat is the "ts format" of docs/spec/runtime.md: RFC 3339 in UTC with exactly nine
// fractional digits.
const TSFormat = "2006-01-02T15:04:05.000000000Z07:00"

// Stream names.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// Record is one log line of a container.
type Record struct {
	TS     time.Time // when the driver read the line
	Stream string    // Stdout or Stderr
	Line   string    // without the newline, valid UTF-8
}

// wireRecord is the on-disk form; field order is the documented key order.
type wireRecord struct {
	TS     string `json:"ts"`
	Stream string `json:"stream"`
	Line   string `json:"line"`
}

// FormatTS renders t in ts format.
func FormatTS(t time.Time) string {
	return t.UTC().Format(TSFormat)
}

// MarshalJSON encodes r as {"ts","stream","line"} with ts in ts format.
func (r Record) MarshalJSON() ([]byte, error) {
	return json.Marshal(wireRecord{TS: FormatTS(r.TS), Stream: r.Stream, Line: r.Line})
}

// UnmarshalJSON decodes the on-disk form.
func (r *Record) UnmarshalJSON(b []byte) error {
	var w wireRecord
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	ts, err := time.Parse(time.RFC3339Nano, w.TS)
	if err != nil {
		return fmt.Errorf("log record: bad ts %q: %w", w.TS, err)
	}
	*r = Record{TS: ts, Stream: w.Stream, Line: w.Line}
	return nil
}
