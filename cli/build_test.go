package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/cli/control/controltest"
	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/containerdrt/fakert"
	"github.com/lightshuttle/lsctl/plan"
)

// buildManifest has a dockerfile resource web whose literal secret a build step
// echoes, and a container resource probe depending on it.
const buildManifest = `project: {name: shop}
resources:
  web:
    dockerfile:
      context: ./web
      secrets: {TOKEN: s3cr3t-token}
      restart: on-failure
  probe:
    container:
      image: 'a:1'
      depends_on: [web]
`

const builtWeb = "docker.io/lightshuttle/shop_web:dev"

// buildRT is the fake runtime with scripted builds: EnsureImage of a dockerfile
// resource reports updates and returns err; image config lookups answer from present.
type buildRT struct {
	*fakert.Runtime
	updates []containerdrt.ProgressUpdate
	err     error
	present bool

	mu      sync.Mutex
	ensured []string
}

func (r *buildRT) EnsureImage(ctx context.Context, s *plan.ContainerSpec, p containerdrt.Progress) error {
	r.mu.Lock()
	r.ensured = append(r.ensured, s.Resource)
	r.mu.Unlock()
	if s.Build == nil {
		return r.Runtime.EnsureImage(ctx, s, p)
	}
	for _, u := range r.updates {
		u.Ref = s.Image
		if p != nil {
			p(u)
		}
	}
	return r.err
}

func (r *buildRT) ImageConfig(ctx context.Context, ref string) (plan.ImageConfig, error) {
	if !r.present {
		return plan.ImageConfig{}, fmt.Errorf("image %s is not present: %w", ref, containerdrt.ErrNotFound)
	}
	return plan.ImageConfig{}, nil
}

func (r *buildRT) ensuredOf(resource string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.ensured {
		if e == resource {
			n++
		}
	}
	return n
}

func newBuildRT() *buildRT {
	rt := &buildRT{Runtime: fakert.New()}
	rt.Set("probe", fakert.Behavior{ImagePhase: "present"})
	return rt
}

// buildPlan is the plan of buildManifest.
func buildPlan(t *testing.T) (*plan.Plan, string) {
	t.Helper()
	path := writeManifest(t, buildManifest, map[string]string{"web/Dockerfile": "FROM scratch\n"})
	ld := loadForTest(t, path)
	root := t.TempDir()
	p, diags := plan.Build(ld.manifest, plan.Options{Env: ld.env, DataRoot: root})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if err := os.MkdirAll(plan.ProjectDir(root, "shop"), 0o700); err != nil {
		t.Fatal(err)
	}
	return p, root
}

// buildUp runs `up -d` of buildManifest on rt and returns stdout, stderr and the exit.
func buildUp(t *testing.T, rt containerdrt.Runtime) (string, string, int) {
	t.Helper()
	p, root := buildPlan(t)
	out, errb := &syncBuffer{}, &syncBuffer{}
	s := &session{stdout: out, stderr: errb, opts: globalOptions{DataRoot: root, NoColor: true}}
	s.log = discardLogger()
	o := defaultUpOptions()
	o.Detach = true
	st := &upState{opts: o, plan: p, rt: rt}
	code := s.report(s.runUp(context.Background(), st, make(chan os.Signal)))
	return out.String(), errb.String(), code
}

func step(name string) containerdrt.ProgressUpdate {
	return containerdrt.ProgressUpdate{Phase: "build-step", Message: name}
}

// docs/spec/runtime.md §9.7 plain output: building, one line per completed step (redacted), built;
// a skipped build says so and prints no building line.
func TestUpBuildLines(t *testing.T) {
	tests := []struct {
		name    string
		updates []containerdrt.ProgressUpdate
		want    []string // in this order
		absent  []string
	}{
		{"built", []containerdrt.ProgressUpdate{{Phase: "building"}, step("[1/2] FROM scratch"),
			step("[2/2] RUN echo s3cr3t-token"), {Phase: "built", Elapsed: 1500 * time.Millisecond}},
			[]string{"web: building " + builtWeb + "\n", "web: build: [1/2] FROM scratch\n",
				"web: build: [2/2] RUN echo ********\n", "web: built " + builtWeb + " in 1.5s\n", "web: running\n",
				"probe: running\n", "[shop] ready: 2 resource(s) in "},
			[]string{"s3cr3t-token", "up to date"}},
		{"context unchanged", []containerdrt.ProgressUpdate{{Phase: "present"}},
			[]string{"web: image " + builtWeb + " is up to date (context unchanged)\n", "web: running\n", "[shop] ready: "},
			[]string{"building", "build:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := newBuildRT()
			rt.updates = tt.updates
			out, errOut, code := buildUp(t, rt)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			at := 0
			for _, w := range tt.want {
				i := strings.Index(out[at:], w)
				if i < 0 {
					t.Fatalf("output lacks %q after offset %d:\n%s", w, at, out)
				}
				at += i + len(w)
			}
			for _, a := range tt.absent {
				if strings.Contains(out, a) {
					t.Errorf("output has %q:\n%s", a, out)
				}
			}
		})
	}
}

// docs/spec/runtime.md §9.7: a failing step fails the resource with `image build failed:
// <message>` and the report shows that step's last lines, redacted, instead of the
// (absent) container log; an unreachable buildkitd's message is shown intact.
func TestUpBuildFailureReport(t *testing.T) {
	unreachable := errors.New("cannot connect to BuildKit at unix:///nowhere.sock: no such file (start buildkitd or set --buildkit-address / BUILDKIT_HOST)")
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"failing step", &containerdrt.BuildError{Message: `process "/bin/sh -c exit 3" did not complete successfully: exit code: 3`,
			LastLines: []string{"out-29", "token s3cr3t-token"}},
			[]string{`error: startup failed: resource "web": `, `image build failed: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3` + "\n" +
				"last 20 lines of the failing build step of web:\n  out-29\n  token ********\n"}},
		{"buildkitd unreachable", unreachable,
			[]string{`error: startup failed: resource "web": `, unreachable.Error() + "\nlast 20 log lines of web:\n  (no output)\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := newBuildRT()
			rt.updates = []containerdrt.ProgressUpdate{{Phase: "building"}}
			rt.err = tt.err
			out, errOut, code := buildUp(t, rt)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if strings.Contains(errOut+out, "s3cr3t-token") {
				t.Errorf("secret shown:\n%s%s", out, errOut)
			}
			if !strings.Contains(out, "probe: not started (dependency web failed)") {
				t.Errorf("output:\n%s", out)
			}
		})
	}
}

// docs/spec/runtime.md §9.7: restarts do not rebuild, even after up --build: the image is
// acquired once per stack, so restart-one (through the control API) and a policy
// restart reuse it.
func TestRestartDoesNotRebuild(t *testing.T) {
	rt := newBuildRT()
	rt.updates = []containerdrt.ProgressUpdate{{Phase: "building"}, {Phase: "built"}}
	p, root := buildPlan(t)
	out, errb := &syncBuffer{}, &syncBuffer{}
	s := &session{stdout: out, stderr: errb, opts: globalOptions{DataRoot: root, NoColor: true}}
	s.log = discardLogger()
	o := defaultUpOptions()
	o.Build = true
	st := &upState{opts: o, plan: p, rt: rt}
	sigs := make(chan os.Signal, 1)
	code := make(chan int, 1)
	go func() { code <- s.report(s.runUp(context.Background(), st, sigs)) }()
	controltest.WaitFor(t, func() bool { return strings.Contains(out.String(), "[shop] ready: ") })
	sock := filepath.Join(plan.ProjectDir(root, "shop"), "control.sock")
	controltest.WaitFor(t, func() bool { _, err := os.Stat(sock); return err == nil })
	r := run(t, map[string]string{"LSCTL_DATA_ROOT": root}, "-f", p.Manifest.Path, "restart", "web")
	if r.code != 0 {
		t.Fatalf("restart web: %+v", r)
	}
	if err := rt.Exit("web", 1); err != nil { // on-failure policy restart
		t.Fatal(err)
	}
	controltest.WaitFor(t, func() bool { return strings.Count(out.String(), "web: running\n") == 3 })
	sigs <- os.Interrupt
	<-code
	if n := rt.ensuredOf("web"); n != 1 {
		t.Errorf("web's image acquired %d times, want once:\n%s", n, out.String())
	}
}

// docs/spec/runtime.md §12.6 step 3 and §9.7: a direct restart builds a dockerfile image only when
// it is missing; other kinds go through EnsureImage (missing policy).
func TestEnsureRestartImage(t *testing.T) {
	p, _ := buildPlan(t)
	tests := []struct {
		resource string
		present  bool
		ensured  int
	}{
		{"web", true, 0},
		{"web", false, 1},
		{"probe", true, 1},
	}
	for _, tt := range tests {
		rt := newBuildRT()
		rt.present = tt.present
		if err := ensureRestartImage(context.Background(), rt, &p.Node(tt.resource).Spec); err != nil {
			t.Fatal(err)
		}
		if n := rt.ensuredOf(tt.resource); n != tt.ensured {
			t.Errorf("%s present=%v: EnsureImage called %d times, want %d", tt.resource, tt.present, n, tt.ensured)
		}
	}
}

// lsctl build: argument handling before containerd is contacted (docs/spec/runtime.md §16.6
// wording for unknown names); a named non-dockerfile resource is skipped.
func TestBuildCommandArguments(t *testing.T) {
	path := writeManifest(t, buildManifest, map[string]string{"web/Dockerfile": "FROM scratch\n"})
	env := map[string]string{"LSCTL_DATA_ROOT": t.TempDir(), "CONTAINERD_ADDRESS": filepath.Join(t.TempDir(), "none.sock")}
	tests := []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"build", "nope"}, 1, "", "error: unknown resource \"nope\" in project \"shop\"\n"},
		{[]string{"build", "web", "nope"}, 1, "", "error: unknown resource \"nope\" in project \"shop\"\n"},
		{[]string{"build", "probe"}, 0, "probe: skipped (not built from a Dockerfile)\n", ""},
		{[]string{"build", "--pull", "sometimes"}, 2, "", "error: invalid value \"sometimes\" for --pull: expected missing, always or never\nRun \"lsctl build --help\" for usage.\n"},
	}
	for _, tt := range tests {
		r := run(t, env, append([]string{"-f", path}, tt.args...)...)
		if r.code != tt.code || r.stdout != tt.stdout || r.stderr != tt.stderr {
			t.Errorf("%v: exit %d stdout %q stderr %q; want %d %q %q", tt.args, r.code, r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
		}
	}
	// A dockerfile resource needs containerd: its error is the connection's.
	r := run(t, env, "-f", path, "build")
	if r.code != 1 || !strings.Contains(r.stderr, "cannot connect to containerd at ") {
		t.Errorf("build without containerd: %+v", r)
	}
}

// buildTargets picks the named dockerfile resources, or all of them.
func TestBuildTargets(t *testing.T) {
	p, _ := buildPlan(t)
	tests := []struct {
		names []string
		want  string
		out   string
	}{
		{nil, "web", ""},
		{[]string{"web"}, "web", ""},
		{[]string{"probe"}, "", "probe: skipped (not built from a Dockerfile)\n"},
		{[]string{"probe", "web"}, "web", "probe: skipped (not built from a Dockerfile)\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		var got []string
		for _, n := range buildTargets(p, tt.names, &b) {
			got = append(got, n.Name)
		}
		if strings.Join(got, ",") != tt.want || b.String() != tt.out {
			t.Errorf("%v: targets %v output %q; want %s %q", tt.names, got, b.String(), tt.want, tt.out)
		}
	}
}

// lsctl build prints the §9.7 lines, reports a failing step with its output, and
// exits 1 when any build failed.
func TestRunBuilds(t *testing.T) {
	p, _ := buildPlan(t)
	tests := []struct {
		name         string
		err          error
		code         int
		stdout       string
		stderrSuffix string
	}{
		{"ok", nil, 0, "web: building " + builtWeb + "\nweb: build: RUN echo ********\nweb: built " + builtWeb + " in 2.0s\n", ""},
		{"failed step", &containerdrt.BuildError{Message: "exit code: 7", LastLines: []string{"first", "s3cr3t-token"}}, 1,
			"web: building " + builtWeb + "\nweb: build: RUN echo ********\n",
			"error: web: image build failed: exit code: 7\nlast 20 lines of the failing build step of web:\n  first\n  ********\n"},
		{"other error", errors.New("Dockerfile missing"), 1, "web: building " + builtWeb + "\nweb: build: RUN echo ********\n",
			"error: web: Dockerfile missing\n"},
	}
	for _, tt := range tests {
		rt := newBuildRT()
		rt.updates = []containerdrt.ProgressUpdate{{Phase: "building"}, step("RUN echo s3cr3t-token")}
		if tt.err == nil {
			rt.updates = append(rt.updates, containerdrt.ProgressUpdate{Phase: "built", Elapsed: 2 * time.Second})
		}
		rt.err = tt.err
		s, out, errb := downSession(t)
		code := s.report(s.runBuilds(context.Background(), rt, p, []*plan.Node{p.Node("web")}))
		if code != tt.code || out.String() != tt.stdout || errb.String() != tt.stderrSuffix {
			t.Errorf("%s: exit %d stdout %q stderr %q", tt.name, code, out.String(), errb.String())
		}
	}
}
