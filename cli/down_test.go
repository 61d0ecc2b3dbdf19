package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/manifest"
)

// fakeDownRuntime records the order of stops and removals.
type fakeDownRuntime struct {
	mu         sync.Mutex
	containers []containerdrt.Managed
	events     []string
	removeErr  map[string]error
	leftovers  []string             // orphan tasks RemoveLeftovers reports
	volumes    map[string]string    // name -> owning project
	hang       map[string]bool      // container IDs whose stop and removal never answer
	deadlines  map[string]time.Time // the context deadline of each call, by event
}

func (f *fakeDownRuntime) List(ctx context.Context, _ string) ([]containerdrt.Managed, error) {
	f.recordCtx(ctx, "list")
	return f.containers, nil
}

func (f *fakeDownRuntime) RemoveLeftoverNetns(context.Context, string) error { return nil }

func (f *fakeDownRuntime) Stop(ctx context.Context, id, _ string, _ time.Duration) (int, error) {
	f.recordCtx(ctx, "stop "+id)
	if f.hang[id] {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return 0, nil
}

func (f *fakeDownRuntime) Remove(ctx context.Context, id string) error {
	f.recordCtx(ctx, "remove "+id)
	if f.hang[id] {
		<-ctx.Done()
		return ctx.Err()
	}
	return f.removeErr[id]
}

func (f *fakeDownRuntime) TeardownNetwork(ctx context.Context, _ string) error {
	f.recordCtx(ctx, "network")
	return nil
}

func (f *fakeDownRuntime) RemoveLeftovers(context.Context, string) ([]string, error) {
	f.record("leftovers")
	return f.leftovers, nil
}

// recordCtx records the event and its context's deadline.
func (f *fakeDownRuntime) recordCtx(ctx context.Context, e string) {
	f.record(e)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deadlines == nil {
		f.deadlines = map[string]time.Time{}
	}
	f.deadlines[e], _ = ctx.Deadline()
}

func (f *fakeDownRuntime) RemoveVolumes(_ context.Context, project string, names []string) (removed, kept []string, err error) {
	for _, n := range names {
		switch owner, ok := f.volumes[n]; {
		case !ok:
		case owner == project:
			removed = append(removed, n)
		default:
			kept = append(kept, n)
		}
	}
	return removed, kept, nil
}

func (f *fakeDownRuntime) record(e string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, e)
}

func (f *fakeDownRuntime) index(e string) int { return slices.Index(f.events, e) }

func downSession(t *testing.T) (*session, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	s := &session{stdout: &out, stderr: &errb, opts: globalOptions{DataRoot: t.TempDir()}}
	return s, &out, &errb
}

func shopModel(t *testing.T, body string) *manifest.Manifest {
	t.Helper()
	m, _, diags := manifest.Load(manifest.LoadOptions{File: writeManifest(t, body, nil)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return m
}

// docs/spec/runtime.md §17 item 53: down finds containers by label (orphans included) and
// removes them in reverse dependency order.
func TestDownReverseDependencyOrder(t *testing.T) {
	rt := &fakeDownRuntime{containers: []containerdrt.Managed{
		{ID: "shop_db", Resource: "db", Kind: "postgres"},
		{ID: "shop_api", Resource: "api", Kind: "container", DependsOn: []string{"db", "cache"}},
		{ID: "shop_web", Resource: "web", Kind: "container", DependsOn: []string{"api"}},
		{ID: "shop_cache", Resource: "cache", Kind: "redis"},
		{ID: "shop_old", Resource: "old", Kind: "container"}, // orphan
	}}
	s, out, errb := downSession(t)
	m := shopModel(t, "project: {name: shop}\nresources:\n  db:\n    postgres: {}\n")
	if err := s.down(context.Background(), rt, m, downOptions{Grace: time.Second}); err != nil {
		t.Fatalf("down: %v, stderr %s", err, errb)
	}
	before := func(a, b string) {
		if rt.index(a) < 0 || rt.index(b) < 0 || rt.index(a) > rt.index(b) {
			t.Errorf("%q must happen before %q; events %v", a, b, rt.events)
		}
	}
	before("remove shop_web", "stop shop_api")
	before("remove shop_api", "stop shop_db")
	before("remove shop_api", "stop shop_cache")
	before("remove shop_db", "network")
	before("remove shop_old", "network")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	slices.Sort(lines)
	want := []string{"[shop] no network to remove", "api: stopped", "cache: stopped", "db: stopped", "old: stopped", "web: stopped"}
	if !slices.Equal(lines, want) {
		t.Errorf("output %q, want %q", lines, want)
	}
}

// docs/spec/runtime.md §17 item 17: nothing to stop, a leftover network is removed, exit 0.
func TestDownNothingToStop(t *testing.T) {
	rt := &fakeDownRuntime{}
	s, out, _ := downSession(t)
	netDir := filepath.Join(s.opts.DataRoot, "networks")
	if err := os.MkdirAll(netDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(netDir, "lightshuttle-shop.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := shopModel(t, "project: {name: shop}\nresources: {}\n")
	if err := s.down(context.Background(), rt, m, downOptions{Grace: time.Second}); err != nil {
		t.Fatal(err)
	}
	if want := "[shop] nothing to stop\n[shop] network lightshuttle-shop removed\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}

// A failing removal is reported, the rest still runs, and the exit code is 1.
func TestDownFailureStillTearsDown(t *testing.T) {
	rt := &fakeDownRuntime{
		containers: []containerdrt.Managed{{ID: "shop_db", Resource: "db"}, {ID: "shop_api", Resource: "api", DependsOn: []string{"db"}}},
		removeErr:  map[string]error{"shop_api": errors.New("boom")},
	}
	s, out, errb := downSession(t)
	m := shopModel(t, "project: {name: shop}\nresources: {}\n")
	err := s.down(context.Background(), rt, m, downOptions{Grace: time.Second})
	if code := s.report(err); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errb.String(), `error: remove container shop_api of resource "api": boom`) {
		t.Errorf("stderr %q", errb.String())
	}
	if !strings.Contains(out.String(), "db: stopped") || rt.index("network") < 0 {
		t.Errorf("remaining steps skipped: out %q events %v", out.String(), rt.events)
	}
}

// Issue 11 item 4: every step of down has a deadline of grace + 30 s.
func TestDownStepsHaveDeadlines(t *testing.T) {
	rt := &fakeDownRuntime{containers: []containerdrt.Managed{{ID: "shop_db", Resource: "db"}}}
	s, _, errb := downSession(t)
	m := shopModel(t, "project: {name: shop}\nresources: {}\n")
	start := time.Now()
	if err := s.down(context.Background(), rt, m, downOptions{Grace: 2 * time.Second}); err != nil {
		t.Fatalf("down: %v, stderr %s", err, errb)
	}
	for _, e := range []string{"list", "stop shop_db", "remove shop_db", "network"} {
		d, ok := rt.deadlines[e]
		if want := start.Add(32 * time.Second); !ok || d.Before(want) || d.After(want.Add(5*time.Second)) {
			t.Errorf("%s: deadline %v, want grace + 30 s from the start (%v)", e, d, want)
		}
	}
}

// Issue 11 item 4: when containerd does not answer, the step fails at its deadline
// naming the container, everything else is still attempted, and down exits 1 with a
// hint to run it again. The parent context's short deadline stands in for the 30 s.
func TestDownContainerdSilent(t *testing.T) {
	rt := &fakeDownRuntime{
		containers: []containerdrt.Managed{{ID: "shop_db", Resource: "db"}, {ID: "shop_api", Resource: "api"}},
		hang:       map[string]bool{"shop_db": true},
	}
	s, out, errb := downSession(t)
	m := shopModel(t, "project: {name: shop}\nresources: {}\n")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := s.down(ctx, rt, m, downOptions{Grace: time.Second})
	if code := s.report(err); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	named := regexp.MustCompile(`error: could not remove container shop_db of resource "db": deadline exceeded: containerd did not answer in \d+ms\n`)
	hint := "hint: containerd did not answer, so something may be left; once it answers again, run lsctl down to remove the rest"
	if !named.MatchString(errb.String()) || !strings.Contains(errb.String(), hint) {
		t.Errorf("stderr does not name shop_db and give the hint:\n%s", errb.String())
	}
	if !strings.Contains(out.String(), "api: stopped") || rt.index("network") < 0 {
		t.Errorf("the other steps were skipped: out %q, events %v", out.String(), rt.events)
	}
}

// docs/spec/runtime.md §16.4, §7.2: --volumes removes the project's volumes, secrets and logs.
func TestDownVolumes(t *testing.T) {
	rt := &fakeDownRuntime{
		containers: []containerdrt.Managed{{ID: "shop_gone", Resource: "gone", Kind: "redis"}},
		volumes:    map[string]string{"shop_db_data": "shop", "shared": "other", "shop_gone_data": "shop"},
	}
	s, out, errb := downSession(t)
	projectDir := filepath.Join(s.opts.DataRoot, "projects", "shop")
	if err := os.MkdirAll(filepath.Join(projectDir, "logs"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"secrets.json", "logs/db.log"} {
		if err := os.WriteFile(filepath.Join(projectDir, f), []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	m := shopModel(t, "project: {name: shop}\nresources:\n  db:\n    postgres: {}\n  c:\n    container:\n      image: a:1\n      volumes: [\"shared:/x\", \"./h:/h\"]\n")
	if err := s.down(context.Background(), rt, m, downOptions{Volumes: true, Grace: time.Second}); err != nil {
		t.Fatalf("down: %v; stderr %s", err, errb)
	}
	for _, want := range []string{"volume shop_db_data removed", "volume shared kept (created by another project)",
		"volume shop_gone_data removed", "[shop] secrets removed"} {
		if !strings.Contains(out.String(), want+"\n") {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, gone := range []string{"secrets.json", "logs"} {
		if _, err := os.Stat(filepath.Join(projectDir, gone)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists (%v)", gone, err)
		}
	}
}

// docs/spec/runtime.md §16.4: down needs only the project name; validation errors of a manifest
// whose name is readable are printed as warnings.
func TestDownToleratesInvalidManifest(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container:\n      image: Bad:1\n", nil)
	s, _, errb := downSession(t)
	s.opts.File = path
	s.lookupEnv = func(string) (string, bool) { return "", false }
	m, err := s.loadProjectOnly()
	if err != nil || m.Project.Name.Value != "shop" {
		t.Fatalf("loadProjectOnly: %v", err)
	}
	if !strings.HasPrefix(errb.String(), "warning: "+path+":5:14: resources.api.container.image: invalid image reference") {
		t.Errorf("stderr %q", errb.String())
	}
	bad := writeManifest(t, "project: {name: Shop}\nresources: {}\n", nil)
	s, _, errb = downSession(t)
	s.opts.File = bad
	if _, err := s.loadProjectOnly(); err == nil || !strings.Contains(errb.String(), "error: ") {
		t.Errorf("an invalid project name must stop down: %v %q", err, errb.String())
	}
}
