package cli

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/cli/control/controltest"
	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/containerdrt/fakert"
	"github.com/lightshuttle/lsctl/plan"
)

// fakeUp runs runUp on the fake runtime for a two-resource stack (api depends on db)
// and returns the session's output, the signal channel and the exit code channel.
func fakeUp(t *testing.T, rt *fakert.Runtime, o upOptions) (*syncBuffer, *syncBuffer, chan os.Signal, chan int) {
	t.Helper()
	path := writeManifest(t, "project: {name: shop}\nresources:\n  db:\n    postgres: {}\n  api:\n    container:\n      image: 'a:1'\n      env: {U: '${resources.db.url}'}\n", nil)
	ld := loadForTest(t, path)
	root := t.TempDir()
	p, diags := plan.Build(ld.manifest, plan.Options{Env: ld.env, DataRoot: root})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if err := os.MkdirAll(plan.ProjectDir(root, "shop"), 0o700); err != nil {
		t.Fatal(err)
	}
	out, errb := &syncBuffer{}, &syncBuffer{}
	sigs := make(chan os.Signal, 2)
	s := &session{stdout: out, stderr: errb, opts: globalOptions{DataRoot: root, NoColor: true}}
	s.log = discardLogger()
	st := &upState{opts: o, plan: p, rt: rt}
	code := make(chan int, 1)
	go func() { code <- s.report(s.runUp(context.Background(), st, sigs)) }()
	return out, errb, sigs, code
}

func defaultUpOptions() upOptions {
	return upOptions{Grace: time.Second, DashboardPort: -1, Pull: "missing"}
}

// docs/spec/runtime.md §16.3 lines, §12.7 order and §12.8 exit code (§17 item 50).
func TestUpForegroundSIGINT(t *testing.T) {
	rt := fakert.New()
	out, errb, sigs, code := fakeUp(t, rt, defaultUpOptions())
	controltest.WaitFor(t, func() bool { return strings.Contains(out.String(), "[shop] ready: 2 resource(s) in ") })
	sigs <- syscall.SIGINT
	if c := <-code; c != 130 {
		t.Fatalf("exit %d, want 130; stderr %s", c, errb.String())
	}
	got := out.String()
	for _, want := range []string{"[shop] starting 2 resource(s) on lightshuttle-shop\n", "db: starting\n", "db: healthy after ",
		"api: running\n", "api: stopped\n", "db: stopped\n", "[shop] stopped\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "api: stopped") > strings.Index(got, "db: stopped") {
		t.Errorf("db stopped before its dependent api:\n%s", got)
	}
	if rt.NetworkUp("shop") {
		t.Error("network left up")
	}
}

// docs/spec/runtime.md §12.8: SIGTERM gives 143; a second signal kills what remains (§17 item 51).
func TestUpSecondSignalKills(t *testing.T) {
	rt := fakert.New()
	rt.Set("api", fakert.Behavior{IgnoreTerm: true})
	o := defaultUpOptions()
	o.Grace = time.Hour // only the second signal can end the stop of api
	out, _, sigs, code := fakeUp(t, rt, o)
	controltest.WaitFor(t, func() bool { return strings.Contains(out.String(), "ready:") })
	sigs <- syscall.SIGTERM
	controltest.WaitFor(t, func() bool { return len(rt.CallsOf("stop")) > 0 })
	sigs <- syscall.SIGINT
	select {
	case c := <-code:
		if c != 143 {
			t.Errorf("exit %d, want 143 (the first signal decides)", c)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the second signal did not end the shutdown")
	}
	if len(rt.CallsOf("kill")) == 0 {
		t.Error("no task was killed")
	}
}

// docs/spec/runtime.md §12.3 failure report and exit 1 (§17 items 37, 39, 40).
func TestUpStartupFailure(t *testing.T) {
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{ExitAfter: 10 * time.Millisecond, ExitCode: 3, ProbePassAfter: time.Hour})
	out, errb, _, code := fakeUp(t, rt, defaultUpOptions())
	if c := <-code; c != 1 {
		t.Fatalf("exit %d, want 1", c)
	}
	want := "error: startup failed: resource \"db\": exited with code 3 before becoming ready\nlast 20 log lines of db:\n  (no output)\n"
	if errb.String() != want {
		t.Errorf("stderr %q, want %q", errb.String(), want)
	}
	if !strings.Contains(out.String(), "api: not started (dependency db failed)") {
		t.Errorf("output:\n%s", out.String())
	}
}

// docs/spec/runtime.md §16.3 -d: exit 0 after the ready line, every startup line before it.
func TestUpDetach(t *testing.T) {
	rt := fakert.New()
	o := defaultUpOptions()
	o.Detach = true
	out, _, _, code := fakeUp(t, rt, o)
	if c := <-code; c != 0 {
		t.Fatalf("exit %d", c)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if ready := lines[len(lines)-2]; !strings.HasPrefix(ready, "[shop] ready: 2 resource(s) in ") {
		t.Errorf("ready line %q; output:\n%s", ready, out.String())
	}
	// docs/spec/runtime.md §20.4: the critical path follows the ready line.
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "[shop] critical path: ") {
		t.Errorf("last line %q; output:\n%s", last, out.String())
	}
	if !strings.Contains(out.String(), "api: running") || !rt.Running("api") {
		t.Errorf("stack not left running:\n%s", out.String())
	}
}

// docs/spec/runtime.md §4.4 lines: adoption and orphan removal, observed on the runtime calls.
func TestUpReuseAndOrphanLines(t *testing.T) {
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{Adopt: true})
	rt.AddManaged(containerdrt.Managed{ID: "shop_old", Project: "shop", Resource: "old", Kind: "container", Running: true})
	o := defaultUpOptions()
	o.Detach = true
	out, _, _, code := fakeUp(t, rt, o)
	if c := <-code; c != 0 {
		t.Fatalf("exit %d", c)
	}
	for _, want := range []string{"db: reusing running container\n", "old: removed (not in the manifest)\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
