package integration

import (
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lightshuttle/lsctl/cli/otlpreceiver"
	"github.com/lightshuttle/lsctl/integration/harness"
)

// docs/spec/runtime.md §17 item 98, §20.6: the dashboard of a real stack in headless Chromium —
// resources with live status and CPU/memory, the dependency graph, the startup
// timeline, a trace the OTel SDK sent with its waterfall, the app's log records, a
// container's log with a filter, the metrics an app sent and the resources' CPU and
// memory — and its restart, stop and start buttons act on a resource. The
// screenshots go to bin/test-logs/screenshots.
func TestDashboardInBrowser(t *testing.T) {
	env := harness.Require(t)
	harness.RequireChromium(t)
	dir := cliWriteManifest(t, otelManifest("clidash", ""))
	cliLoadImages(t, env, dir, "busybox")
	if code, out, errOut := cliRun(t, env, dir, "images", "load", otelClientArchive(t)); code != 0 {
		t.Fatalf("images load otelclient: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never", "--dashboard-port", "0")
	if code != 0 {
		t.Fatalf("up -d: exit %d\n%s%s", code, out, errOut)
	}
	t.Cleanup(func() { cliRun(t, env, dir, "down") })
	url := regexp.MustCompile(`\[clidash\] dashboard: (http://127\.0\.0\.1:\d+/\?token=[0-9a-f]{64})\n`).FindStringSubmatch(out)
	if url == nil {
		t.Fatalf("up -d printed no dashboard URL:\n%s", out)
	}
	sock := controlSocket(env, "clidash")
	traces := awaitAPI(t, sock, "/api/otel/traces", traceNamed("checkout over http", "app"))
	var traceID string
	for _, tr := range traces {
		if tr.Root == "checkout over http" {
			traceID = tr.TraceID
		}
	}
	awaitAPI(t, sock, "/api/otel/logs?q=payment", func(ls []otlpreceiver.LogRecord) bool { return len(ls) == 1 })
	// An app sends a metric: busybox wget in the poster container posts OTLP JSON.
	if code, out, errOut := cliRun(t, env, dir, "exec", "poster", "--", "sh", "-c", `wget -q -O- --header 'Content-Type: application/json' `+
		`--post-data '`+wgetMetricJSON+`' "$OTEL_EXPORTER_OTLP_ENDPOINT/v1/metrics"`); code != 0 {
		t.Fatalf("exec poster wget metrics: exit %d\n%s%s", code, out, errOut)
	}
	awaitAPI(t, sock, "/api/otel/metrics?service=wget-poster", func(ps []otlpreceiver.MetricPoint) bool { return len(ps) == 2 })

	ctx := newBrowser(t, 1280, 800)
	run := func(steps ...browserStep) { t.Helper(); runSteps(t, ctx, steps...) }
	run(
		browserStep{"open", chromedp.Navigate(url[1])},
		browserStep{"resources", visibleText(`#resources tr[data-resource="app"] .status`, "running")},
		browserStep{"memory from containerd", visibleText(`#resources tr[data-resource="app"] .mem`, "iB")},
		browserStep{"CPU from containerd", visibleText(`#resources tr[data-resource="poster"] .cpu`, "%")},
		browserStep{"graph", visibleText(`#graph g.node[data-resource="custom"]`, "custom")},
		browserStep{"graph edge", chromedp.WaitVisible(chromedp.CSS(`#graph path.edge[data-from="poster"][data-to="custom"]`))},
		browserStep{"timeline", chromedp.WaitVisible(chromedp.CSS(`#timeline .row[data-resource="app"] .bar.ph-readiness`))},
		browserStep{"critical path", visibleText("#critical", "critical path: ")},
	)
	screenshot(t, ctx, "overview")
	run(
		browserStep{"traces tab", chromedp.Click(chromedp.CSS(`#tabs button[data-tab="traces"]`))},
		browserStep{"trace listed", visibleText(`#traces tr[data-trace="`+traceID+`"]`, "checkout over http")},
		browserStep{"open trace", chromedp.Click(chromedp.CSS(`#traces tr[data-trace="` + traceID + `"]`))},
		browserStep{"waterfall", visibleText("#waterfall", "charge card")},
	)
	screenshot(t, ctx, "trace")
	run(
		browserStep{"app logs tab", chromedp.Click(chromedp.CSS(`#tabs button[data-tab="otellogs"]`))},
		browserStep{"severity warn", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector("#otellog-severity");
			s.value = "warn"; s.dispatchEvent(new Event("change")); })()`)},
		browserStep{"app log record", visibleText(`#otellogs tr[data-severity="WARN"]`, "payment retried by the otel sdk")},
	)
	screenshot(t, ctx, "app-logs")
	run(
		browserStep{"logs tab", chromedp.Click(chromedp.CSS(`#tabs button[data-tab="logs"]`))},
		browserStep{"pick custom", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector("#log-resource");
			s.value = "custom"; s.dispatchEvent(new Event("change")); })()`)},
		browserStep{"log line", visibleText("#log", "OTEL_SERVICE_NAME=mine")},
		browserStep{"filter", chromedp.SendKeys(chromedp.CSS("#log-filter"), "endpoint")},
		browserStep{"filtered", chromedp.Poll[chromedp.Void](`(() => { const t = document.querySelector("#log").textContent;
			return t.includes("OTEL_EXPORTER_OTLP_ENDPOINT=") && !t.includes("OTEL_SERVICE_NAME"); })()`)},
	)
	screenshot(t, ctx, "container-log")
	run(
		browserStep{"overview tab", chromedp.Click(chromedp.CSS(`#tabs button[data-tab="overview"]`))},
		browserStep{"restart poster", chromedp.Click(chromedp.CSS(`#resources tr[data-resource="poster"] button.restart`))},
		browserStep{"restarted", visibleText(`#resources tr[data-resource="poster"] .restarts`, "1")},
		browserStep{"running again", visibleText(`#resources tr[data-resource="poster"] .status`, "running")},
		browserStep{"history shows it", chromedp.WaitVisible(chromedp.CSS(`#resources tr[data-resource="poster"] .history .e-resource_stopped`))},
	)
	screenshot(t, ctx, "after-restart")
	run(
		browserStep{"stop poster", chromedp.Click(chromedp.CSS(`#resources tr[data-resource="poster"] button.stop`))},
		browserStep{"stopped", visibleText(`#resources tr[data-resource="poster"] .status`, "stopped")},
		browserStep{"start offered", visibleText(`#resources tr[data-resource="poster"] button.start`, "start")},
	)
	screenshot(t, ctx, "after-stop")
	run(
		browserStep{"start poster", chromedp.Click(chromedp.CSS(`#resources tr[data-resource="poster"] button.start`))},
		browserStep{"running after start", visibleText(`#resources tr[data-resource="poster"] .status`, "running")},
		browserStep{"stop offered", visibleText(`#resources tr[data-resource="poster"] button.stop`, "stop")},
	)
	screenshot(t, ctx, "after-start")
	run(
		browserStep{"metrics tab", chromedp.Click(chromedp.CSS(`#tabs button[data-tab="metrics"]`))},
		browserStep{"app metric", visibleText(`#app-metrics [data-service="wget-poster"] tr[data-metric="queue.depth"] .value`, "42")},
		browserStep{"metric history", chromedp.WaitVisible(chromedp.CSS(`#app-metrics tr[data-metric="queue.depth"] svg.spark polyline`))},
		browserStep{"resource memory", visibleText(`#usage tr[data-resource="app"] .mem`, "iB")},
		browserStep{"resource CPU", visibleText(`#usage tr[data-resource="app"] .cpu`, "%")},
	)
	screenshot(t, ctx, "metrics")

	ctx = newBrowser(t, 390, 844)
	run(
		browserStep{"phone viewport", chromedp.EmulateViewport(390, 844)},
		browserStep{"phone open", chromedp.Navigate(url[1])},
		browserStep{"phone resources", visibleText(`#resources tr[data-resource="custom"] .status`, "running")},
		browserStep{"phone fits", chromedp.Poll[chromedp.Void](`(() => { const b = document.querySelector('#resources tr[data-resource="custom"] button.stop');
			return b && b.getBoundingClientRect().right <= window.innerWidth && document.documentElement.scrollWidth <= window.innerWidth; })()`)},
	)
	screenshot(t, ctx, "phone")
	run(
		browserStep{"phone metrics tab", chromedp.Click(chromedp.CSS(`#tabs button[data-tab="metrics"]`))},
		browserStep{"phone app metric", visibleText(`#app-metrics tr[data-metric="queue.depth"] .value`, "42")},
		browserStep{"phone metrics fit", chromedp.Poll[chromedp.Void](`document.documentElement.scrollWidth <= window.innerWidth`)},
	)
	screenshot(t, ctx, "phone-metrics")
}

// wgetMetricJSON is an OTLP/HTTP JSON gauge with two points, 40 then 42.
const wgetMetricJSON = `{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"wget-poster"}}]},` +
	`"scopeMetrics":[{"metrics":[{"name":"queue.depth","unit":"1","gauge":{"dataPoints":[` +
	`{"timeUnixNano":"1700000000000000000","asInt":"40","attributes":[{"key":"queue","value":{"stringValue":"orders"}}]},` +
	`{"timeUnixNano":"1700000001000000000","asInt":"42","attributes":[{"key":"queue","value":{"stringValue":"orders"}}]}]}}]}]}]}`
