package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// newBrowser starts headless Chromium with a fresh profile and the flags that keep it
// off the network (the machine's network is closed), and returns the context of one
// tab of the given size. It ends with the test.
func newBrowser(t *testing.T, width, height int) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(harness.RequireChromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	pageLog := &browserLog{}
	if err := chromedp.Listen(ctx, pageLog.record); err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	return context.WithValue(ctx, browserLogKey{}, pageLog)
}

// browserLog keeps the page's script exceptions and console errors, which a failing
// step prints: a page that never renders usually says why there.
type browserLog struct {
	mu    sync.Mutex
	lines []string
}

type browserLogKey struct{}

// record runs on the tab's event goroutine, so it only appends.
func (l *browserLog) record(ev any) {
	var line string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		line = fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, d.Text)
		if d.Exception != nil {
			line += " " + d.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if e.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		line = "console.error:"
		for _, a := range e.Args {
			line += fmt.Sprintf(" %s%s", a.Description, a.Value)
		}
	default:
		return
	}
	l.mu.Lock()
	l.lines = append(l.lines, line)
	l.mu.Unlock()
}

// logBrowser prints what the page reported, if anything.
func logBrowser(t *testing.T, ctx context.Context) {
	t.Helper()
	l, ok := ctx.Value(browserLogKey{}).(*browserLog)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		t.Logf("browser: %s", line)
	}
}

// browserStep is one named action of a browser test.
type browserStep struct {
	name   string
	action chromedp.Action[chromedp.Void]
}

// runSteps runs the steps in order; a failing one is saved as a screenshot and ends
// the test.
func runSteps(t *testing.T, ctx context.Context, steps ...browserStep) {
	t.Helper()
	for _, s := range steps {
		if err := chromedp.Do(ctx, s.action); err != nil {
			screenshot(t, ctx, "failed-"+s.name)
			logBrowser(t, ctx)
			t.Fatalf("browser step %q: %v", s.name, err)
		}
	}
}

// screenshot saves the tab as <test name>-<name>.png in the screenshot directory.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	file := strings.ReplaceAll(t.Name(), "/", "_") + "-" + name + ".png"
	if err := os.WriteFile(filepath.Join(harness.ScreenshotDir(t), file), png, 0o644); err != nil {
		t.Errorf("save screenshot %s: %v", name, err)
	}
}

// visibleText waits for a node matching sel to be visible and contain want.
func visibleText(sel, want string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`(() => { const n = document.querySelector(`+jsString(sel)+`);
		return !!n && n.offsetParent !== null && n.textContent.includes(`+jsString(want)+`); })()`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(90*time.Second))
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "`", "\\`", "$", `\$`)
	return "`" + r.Replace(s) + "`"
}
