package control

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lightshuttle/lsctl/actors"
)

// allStatuses lists every status of docs/spec/runtime.md §12.1, so zero counts are exported.
var allStatuses = []actors.Status{
	actors.StatusPending, actors.StatusPulling, actors.StatusBuilding, actors.StatusStarting,
	actors.StatusRunning, actors.StatusHealthy, actors.StatusUnhealthy, actors.StatusExited,
	actors.StatusFailed, actors.StatusStopping, actors.StatusStopped,
}

// metrics is the Prometheus registry of one `up` (docs/spec/runtime.md §15.4).
type metrics struct {
	registry *prometheus.Registry
	ready    prometheus.Histogram
}

// newMetrics registers the metrics, with the OTLP receiver's when tel has one; the
// ready-time histogram is fed by an internal event subscription, which stop ends.
func newMetrics(cp Plane, started time.Time, tel *Telemetry) (*metrics, func()) {
	m := &metrics{registry: prometheus.NewRegistry()}
	m.ready = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "lsctl_ready_seconds",
		Help:    "Time from a resource's task start to its readiness.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
	})
	uptime := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "lsctl_uptime_seconds",
		Help: "Seconds since lsctl up started.",
	}, func() float64 { return time.Since(started).Seconds() })
	m.registry.MustRegister(m.ready, uptime, viewCollector{cp: cp})
	if tel != nil {
		m.registry.MustRegister(otlpCollector{tel: tel})
	}
	events, stop := cp.Subscribe(false)
	go m.observe(events)
	return m, stop
}

// observe records readiness durations from resource_started to resource_healthy.
func (m *metrics) observe(events <-chan actors.Event) {
	started := map[string]time.Time{}
	for e := range events {
		switch e.Type {
		case actors.ResourceStarted:
			started[e.Resource] = e.TS
		case actors.ResourceHealthy:
			if t, ok := started[e.Resource]; ok {
				m.ready.Observe(e.TS.Sub(t).Seconds())
				delete(started, e.Resource)
			}
		}
	}
}

// viewCollector computes the per-status and per-resource metrics at scrape time.
type viewCollector struct{ cp Plane }

var (
	resourcesDesc = prometheus.NewDesc("lsctl_resources", "Resources per status.", []string{"status"}, nil)
	restartsDesc  = prometheus.NewDesc("lsctl_restarts_total", "Policy and manual restarts per resource.", []string{"resource"}, nil)
)

func (viewCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- resourcesDesc
	ch <- restartsDesc
}

func (c viewCollector) Collect(ch chan<- prometheus.Metric) {
	counts := map[actors.Status]int{}
	for _, v := range c.cp.List() {
		counts[v.Status]++
		ch <- prometheus.MustNewConstMetric(restartsDesc, prometheus.CounterValue, float64(v.Restarts), v.Name)
	}
	for _, s := range allStatuses {
		ch <- prometheus.MustNewConstMetric(resourcesDesc, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
}

func (api *controlAPI) metricsHandler(w http.ResponseWriter, r *http.Request, _ string) {
	promhttp.HandlerFor(api.metrics.registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}
