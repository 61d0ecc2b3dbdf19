package otlpreceiver

import "time"

// Span is one received span as the control API shows it (docs/spec/runtime.md §20.3). Every
// string is truncated and the attributes are capped (limits.go), so a span costs at
// most maxRecordBytes whatever was sent.
type Span struct {
	TraceID       string            `json:"trace_id"`
	SpanID        string            `json:"span_id"`
	ParentSpanID  string            `json:"parent_span_id,omitempty"`
	Name          string            `json:"name"`
	Kind          string            `json:"kind"`
	Service       string            `json:"service"`
	Resource      string            `json:"resource,omitempty"`
	Start         time.Time         `json:"start"`
	End           time.Time         `json:"end"`
	DurationMS    float64           `json:"duration_ms"`
	StatusCode    string            `json:"status_code"`
	StatusMessage string            `json:"status_message,omitempty"`
	Attributes    map[string]string `json:"attributes,omitempty"`
}

// LogRecord is one received log record.
type LogRecord struct {
	Time           time.Time         `json:"time"`
	SeverityNumber int               `json:"severity_number"`
	Severity       string            `json:"severity"`
	Body           string            `json:"body"`
	Service        string            `json:"service"`
	Resource       string            `json:"resource,omitempty"`
	TraceID        string            `json:"trace_id,omitempty"`
	SpanID         string            `json:"span_id,omitempty"`
	Attributes     map[string]string `json:"attributes,omitempty"`
}

// MetricPoint is one received data point: the value of a gauge or sum, the count
// and sum of a histogram or summary.
type MetricPoint struct {
	Time       time.Time         `json:"time"`
	Name       string            `json:"name"`
	Unit       string            `json:"unit,omitempty"`
	Type       string            `json:"type"`
	Service    string            `json:"service"`
	Resource   string            `json:"resource,omitempty"`
	Value      float64           `json:"value"`
	Count      uint64            `json:"count,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// TraceSummary is one trace of the list: its root (or earliest) span and extent.
type TraceSummary struct {
	TraceID    string    `json:"trace_id"`
	Root       string    `json:"root"`
	Service    string    `json:"service"`
	Start      time.Time `json:"start"`
	DurationMS float64   `json:"duration_ms"`
	Spans      int       `json:"spans"`
	Errors     int       `json:"errors"`
	Services   []string  `json:"services"`
}
