package control

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lightshuttle/lsctl/cli/otlpreceiver"
)

// otlpCollector exports the OTLP receiver's counters (docs/spec/runtime.md §15.4, §20.1).
type otlpCollector struct{ tel *Telemetry }

var (
	otlpReceivedDesc = prometheus.NewDesc("lsctl_otlp_received_total",
		"Spans, log records and metric points received per signal.", []string{"signal"}, nil)
	otlpDroppedDesc = prometheus.NewDesc("lsctl_otlp_dropped_total",
		"Items dropped from a signal's buffer, oldest first, to make room for newer ones.", []string{"signal"}, nil)
	otlpRejectedDesc = prometheus.NewDesc("lsctl_otlp_rejected_requests_total",
		"OTLP requests refused, and connections from outside the project closed (foreign_source), per reason.", []string{"reason"}, nil)
	otlpForwardDesc = prometheus.NewDesc("lsctl_otlp_forwarded_batches_total",
		"Batches for the external collector, per result (sent, failed, dropped).", []string{"result"}, nil)
)

// otlpSignals are exported with zeros included.
var otlpSignals = []string{otlpreceiver.SignalTraces, otlpreceiver.SignalLogs, otlpreceiver.SignalMetrics}

func (otlpCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- otlpReceivedDesc
	ch <- otlpDroppedDesc
	ch <- otlpRejectedDesc
	ch <- otlpForwardDesc
}

func (c otlpCollector) Collect(ch chan<- prometheus.Metric) {
	if r := c.tel.Receiver; r != nil {
		stats, rejected := r.Store().Stats(), r.Rejected()
		for _, s := range otlpSignals {
			ch <- prometheus.MustNewConstMetric(otlpReceivedDesc, prometheus.CounterValue, float64(stats[s].Received), s)
			ch <- prometheus.MustNewConstMetric(otlpDroppedDesc, prometheus.CounterValue, float64(stats[s].Dropped), s)
		}
		for _, reason := range otlpreceiver.RejectReasons {
			ch <- prometheus.MustNewConstMetric(otlpRejectedDesc, prometheus.CounterValue, float64(rejected[reason]), reason)
		}
	}
	if f := c.tel.Forwarder; f != nil {
		st := f.Stats()
		for result, n := range map[string]uint64{"sent": st.Sent, "failed": st.Failures, "dropped": st.Dropped} {
			ch <- prometheus.MustNewConstMetric(otlpForwardDesc, prometheus.CounterValue, float64(n), result)
		}
	}
}
