package integration

import (
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lightshuttle/lsctl/cli/otlpreceiver"
	"github.com/lightshuttle/lsctl/integration/harness"
)

// runtime.md §17 item 98, §20.6: the dashboard of a real stack in headless Chromium —
// resources with live status and CPU/memory, the dependency graph, the startup
// timeline, a trace the OTel SDK sent with its waterfall, the app's log records, a
// container's log with a filter — and its restart button restarts a resource. The
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

	ctx := newBrowser(t, 1280, 800)
	steps := []struct {
		name   string
		action chromedp.Action[chromedp.Void]
	}{
		{"open", chromedp.Navigate(url[1])},
		{"resources", visibleText(`#resources tr[data-resource="app"] .status`, "running")},
		{"memory from containerd", visibleText(`#resources tr[data-resource="app"] .mem`, "iB")},
		{"CPU from containerd", visibleText(`#resources tr[data-resource="poster"] .cpu`, "%")},
		{"graph", visibleText(`#graph g.node[data-resource="custom"]`, "custom")},
		{"graph edge", chromedp.WaitVisible(chromedp.CSS(`#graph path.edge[data-from="poster"][data-to="custom"]`))},
		{"timeline", chromedp.WaitVisible(chromedp.CSS(`#timeline .row[data-resource="app"] .bar.ph-readiness`))},
		{"critical path", visibleText("#critical", "critical path: ")},
	}
	run := func(steps []struct {
		name   string
		action chromedp.Action[chromedp.Void]
	}) {
		t.Helper()
		for _, s := range steps {
			if err := chromedp.Do(ctx, s.action); err != nil {
				screenshot(t, ctx, "failed-"+s.name)
				t.Fatalf("dashboard step %q: %v", s.name, err)
			}
		}
	}
	run(steps)
	screenshot(t, ctx, "overview")
	run([]struct {
		name   string
		action chromedp.Action[chromedp.Void]
	}{
		{"traces tab", chromedp.Click(chromedp.CSS(`#tabs button[data-tab="traces"]`))},
		{"trace listed", visibleText(`#traces tr[data-trace="`+traceID+`"]`, "checkout over http")},
		{"open trace", chromedp.Click(chromedp.CSS(`#traces tr[data-trace="` + traceID + `"]`))},
		{"waterfall", visibleText("#waterfall", "charge card")},
	})
	screenshot(t, ctx, "trace")
	run([]struct {
		name   string
		action chromedp.Action[chromedp.Void]
	}{
		{"app logs tab", chromedp.Click(chromedp.CSS(`#tabs button[data-tab="otellogs"]`))},
		{"severity warn", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector("#otellog-severity");
			s.value = "warn"; s.dispatchEvent(new Event("change")); })()`)},
		{"app log record", visibleText(`#otellogs tr[data-severity="WARN"]`, "payment retried by the otel sdk")},
	})
	screenshot(t, ctx, "app-logs")
	run([]struct {
		name   string
		action chromedp.Action[chromedp.Void]
	}{
		{"logs tab", chromedp.Click(chromedp.CSS(`#tabs button[data-tab="logs"]`))},
		{"pick custom", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector("#log-resource");
			s.value = "custom"; s.dispatchEvent(new Event("change")); })()`)},
		{"log line", visibleText("#log", "OTEL_SERVICE_NAME=mine")},
		{"filter", chromedp.SendKeys(chromedp.CSS("#log-filter"), "endpoint")},
		{"filtered", chromedp.Poll[chromedp.Void](`(() => { const t = document.querySelector("#log").textContent;
			return t.includes("OTEL_EXPORTER_OTLP_ENDPOINT=") && !t.includes("OTEL_SERVICE_NAME"); })()`)},
	})
	screenshot(t, ctx, "container-log")
	run([]struct {
		name   string
		action chromedp.Action[chromedp.Void]
	}{
		{"overview tab", chromedp.Click(chromedp.CSS(`#tabs button[data-tab="overview"]`))},
		{"restart poster", chromedp.Click(chromedp.CSS(`#resources tr[data-resource="poster"] button.restart`))},
		{"restarted", visibleText(`#resources tr[data-resource="poster"] .restarts`, "1")},
		{"running again", visibleText(`#resources tr[data-resource="poster"] .status`, "running")},
		{"history shows it", chromedp.WaitVisible(chromedp.CSS(`#resources tr[data-resource="poster"] .history .e-resource_stopped`))},
	})
	screenshot(t, ctx, "after-restart")

	phone := newBrowser(t, 390, 844)
	ctx = phone
	run([]struct {
		name   string
		action chromedp.Action[chromedp.Void]
	}{
		{"phone viewport", chromedp.EmulateViewport(390, 844)},
		{"phone open", chromedp.Navigate(url[1])},
		{"phone resources", visibleText(`#resources tr[data-resource="custom"] .status`, "running")},
		{"phone fits", chromedp.Poll[chromedp.Void](`(() => { const b = document.querySelector('#resources tr[data-resource="custom"] button.restart');
			return b && b.getBoundingClientRect().right <= window.innerWidth && document.documentElement.scrollWidth <= window.innerWidth; })()`)},
	})
	screenshot(t, ctx, "phone")
}
