package otlpreceiver

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// resourceAttr is the attribute lsctl injects to name the resource that sent data
// (docs/spec/runtime.md §20.2).
const resourceAttr = "lightshuttle.resource"

// origin is who sent a batch: the service.name and lightshuttle.resource attributes
// of its OTel resource.
type origin struct{ service, resource string }

func originOf(r pcommon.Resource) origin {
	var o origin
	if v, ok := r.Attributes().Get("service.name"); ok {
		o.service = truncate(v.AsString(), maxNameBytes)
	}
	if v, ok := r.Attributes().Get(resourceAttr); ok {
		o.resource = truncate(v.AsString(), maxNameBytes)
	}
	if o.service == "" {
		o.service = o.resource
	}
	return o
}

// attrs copies at most maxAttributes attributes, truncated.
func attrs(m pcommon.Map) map[string]string {
	if m.Len() == 0 {
		return nil
	}
	out := make(map[string]string, min(m.Len(), maxAttributes))
	m.Range(func(k string, v pcommon.Value) bool {
		out[truncate(k, maxKeyBytes)] = truncate(v.AsString(), maxValueBytes)
		return len(out) < maxAttributes
	})
	return out
}

// spansOf flattens a traces batch.
func spansOf(td ptrace.Traces) []Span {
	var out []Span
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		o := originOf(rss.At(i).Resource())
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				out = append(out, spanOf(spans.At(k), o))
			}
		}
	}
	return out
}

func spanOf(s ptrace.Span, o origin) Span {
	start, end := s.StartTimestamp().AsTime().UTC(), s.EndTimestamp().AsTime().UTC()
	sp := Span{
		TraceID: s.TraceID().String(), SpanID: s.SpanID().String(), Name: truncate(s.Name(), maxNameBytes),
		Kind: s.Kind().String(), Service: o.service, Resource: o.resource, Start: start, End: end,
		StatusCode: s.Status().Code().String(), StatusMessage: truncate(s.Status().Message(), maxValueBytes),
		Attributes: attrs(s.Attributes()),
	}
	if !s.ParentSpanID().IsEmpty() {
		sp.ParentSpanID = s.ParentSpanID().String()
	}
	if end.After(start) {
		sp.DurationMS = float64(end.Sub(start).Microseconds()) / 1000
	}
	return sp
}

// logsOf flattens a logs batch.
func logsOf(ld plog.Logs) []LogRecord {
	var out []LogRecord
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		o := originOf(rls.At(i).Resource())
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			recs := sls.At(j).LogRecords()
			for k := 0; k < recs.Len(); k++ {
				out = append(out, logOf(recs.At(k), o))
			}
		}
	}
	return out
}

func logOf(l plog.LogRecord, o origin) LogRecord {
	ts := l.Timestamp()
	if ts == 0 {
		ts = l.ObservedTimestamp()
	}
	num := int(l.SeverityNumber())
	text := l.SeverityText()
	if text == "" {
		text = severityName(num)
	}
	rec := LogRecord{Time: ts.AsTime().UTC(), SeverityNumber: num, Severity: truncate(text, maxKeyBytes),
		Body: truncate(l.Body().AsString(), maxLogBodyBytes), Service: o.service, Resource: o.resource,
		Attributes: attrs(l.Attributes())}
	if !l.TraceID().IsEmpty() {
		rec.TraceID = l.TraceID().String()
	}
	if !l.SpanID().IsEmpty() {
		rec.SpanID = l.SpanID().String()
	}
	return rec
}

// severityName is the short name of a severity number's range (OTel log data model).
func severityName(n int) string {
	names := []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
	if n < 1 || n > 24 {
		return "UNSPECIFIED"
	}
	return names[(n-1)/4]
}

// pointsOf flattens a metrics batch into data points.
func pointsOf(md pmetric.Metrics) []MetricPoint {
	var out []MetricPoint
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		o := originOf(rms.At(i).Resource())
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				out = appendPoints(out, ms.At(k), o)
			}
		}
	}
	return out
}

func appendPoints(out []MetricPoint, m pmetric.Metric, o origin) []MetricPoint {
	base := MetricPoint{Name: truncate(m.Name(), maxNameBytes), Unit: truncate(m.Unit(), maxKeyBytes),
		Type: m.Type().String(), Service: o.service, Resource: o.resource}
	number := func(dps pmetric.NumberDataPointSlice) {
		for i := 0; i < dps.Len(); i++ {
			p, dp := base, dps.At(i)
			p.Time, p.Attributes = dp.Timestamp().AsTime().UTC(), attrs(dp.Attributes())
			if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
				p.Value = float64(dp.IntValue())
			} else {
				p.Value = dp.DoubleValue()
			}
			out = append(out, p)
		}
	}
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		number(m.Gauge().DataPoints())
	case pmetric.MetricTypeSum:
		number(m.Sum().DataPoints())
	case pmetric.MetricTypeHistogram:
		dps := m.Histogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			p, dp := base, dps.At(i)
			p.Time, p.Attributes, p.Value, p.Count = dp.Timestamp().AsTime().UTC(), attrs(dp.Attributes()), dp.Sum(), dp.Count()
			out = append(out, p)
		}
	case pmetric.MetricTypeExponentialHistogram:
		dps := m.ExponentialHistogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			p, dp := base, dps.At(i)
			p.Time, p.Attributes, p.Value, p.Count = dp.Timestamp().AsTime().UTC(), attrs(dp.Attributes()), dp.Sum(), dp.Count()
			out = append(out, p)
		}
	case pmetric.MetricTypeSummary:
		dps := m.Summary().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			p, dp := base, dps.At(i)
			p.Time, p.Attributes, p.Value, p.Count = dp.Timestamp().AsTime().UTC(), attrs(dp.Attributes()), dp.Sum(), dp.Count()
			out = append(out, p)
		}
	}
	return out
}
