package containerdrt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bkclient "github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/lightshuttle/lsctl/plan"
)

// TestBaseImageRefs checks which FROM images are served from the local store
// (docs/spec/runtime.md §9.7 "Base images").
func TestBaseImageRefs(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		args       []plan.EnvVar
		want       []string
	}{
		{"single", "FROM localhost/lsctl-test/busybox:1\nRUN true\n", nil, []string{"localhost/lsctl-test/busybox:1"}},
		{"lower-case keyword and flags", "from --platform=linux/amd64 busybox AS base\n", nil, []string{"busybox"}},
		{"stage names are not images", "FROM busybox AS base\nFROM base AS final\nFROM Base\n", nil, []string{"busybox"}},
		{"scratch is no image", "FROM scratch\nCOPY x /x\n", nil, nil},
		{"global ARG default", "ARG BASE=alpine:3\nFROM ${BASE}\n", nil, []string{"alpine:3"}},
		{"build arg overrides default", "ARG BASE=alpine:3\nFROM $BASE\n", []plan.EnvVar{{Name: "BASE", Value: "busybox:1"}}, []string{"busybox:1"}},
		{"build arg for undeclared ARG is ignored", "FROM ${BASE:-debian}\n", []plan.EnvVar{{Name: "BASE", Value: "busybox"}}, []string{"debian"}},
		{"stage ARG does not apply to FROM", "FROM a\nARG X=y\nFROM $X\n", nil, []string{"a"}},
		{"line continuation and comment", "# c\nFROM \\\n  busybox:1\n", nil, []string{"busybox:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := baseImageRefs([]byte(tt.dockerfile), tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestBuildkitAddress checks the precedence option > BUILDKIT_HOST > default
// (docs/spec/runtime.md §1.1) and that a bare path is a unix socket.
func TestBuildkitAddress(t *testing.T) {
	tests := []struct{ opt, env, want string }{
		{"", "", DefaultBuildkitAddress},
		{"", "tcp://127.0.0.1:1234", "tcp://127.0.0.1:1234"},
		{"unix:///x.sock", "tcp://127.0.0.1:1234", "unix:///x.sock"},
		{"/run/b.sock", "", "unix:///run/b.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.opt+"|"+tt.env, func(t *testing.T) {
			t.Setenv("BUILDKIT_HOST", tt.env)
			if got := buildkitAddress(tt.opt); got != tt.want {
				t.Errorf("buildkitAddress(%q) = %q, want %q", tt.opt, got, tt.want)
			}
		})
	}
}

// TestConnectBuildKitUnreachable checks the error text of docs/spec/runtime.md §9.7.
func TestConnectBuildKitUnreachable(t *testing.T) {
	addr := "unix://" + filepath.Join(t.TempDir(), "buildkitd.sock")
	_, err := connectBuildKit(context.Background(), addr)
	want := "cannot connect to BuildKit at " + addr + ": no such file or directory (start buildkitd or set --buildkit-address / BUILDKIT_HOST)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

// TestStepTracker checks build-step progress (one per completed vertex, once) and the
// failing step's message and last 20 output lines.
func TestStepTracker(t *testing.T) {
	var got []ProgressUpdate
	tr := newStepTracker(func(u ProgressUpdate) { got = append(got, u) }, "ref")
	now := time.Now()
	d1, d2, d3 := digest.FromString("1"), digest.FromString("2"), digest.FromString("3")
	var out strings.Builder
	for i := 1; i <= 25; i++ {
		fmt.Fprintf(&out, "line %d\n", i)
	}
	out.WriteString("partial")
	ch := make(chan *bkclient.SolveStatus, 4)
	ch <- &bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{{Digest: d1, Name: "[1/2] FROM base", Started: &now}}}
	ch <- &bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{{Digest: d1, Name: "[1/2] FROM base", Completed: &now}, {Digest: d2, Name: "[2/2] RUN false"}}}
	ch <- &bkclient.SolveStatus{Logs: []*bkclient.VertexLog{{Vertex: d2, Data: []byte(out.String()[:40])}, {Vertex: d2, Data: []byte(out.String()[40:])}}}
	ch <- &bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{
		{Digest: d1, Name: "[1/2] FROM base", Completed: &now},
		{Digest: d3, Name: "other", Completed: &now, Error: "context canceled"},
		{Digest: d2, Name: "[2/2] RUN false", Completed: &now, Error: "process \"/bin/sh -c false\" did not complete successfully: exit code: 1"},
	}}
	close(ch)
	tr.consume(ch)

	if len(got) != 1 || got[0].Phase != "build-step" || got[0].Message != "[1/2] FROM base" || got[0].Ref != "ref" {
		t.Fatalf("progress = %+v, want one build-step for [1/2] FROM base", got)
	}
	be := tr.buildError(errors.New("failed to solve: whatever"))
	if be.Error() != `image build failed: process "/bin/sh -c false" did not complete successfully: exit code: 1` {
		t.Errorf("Error() = %q", be.Error())
	}
	if len(be.LastLines) != buildTailLines || be.LastLines[0] != "line 7" || be.LastLines[19] != "partial" {
		t.Errorf("LastLines = %q, want line 7..line 25 then partial", be.LastLines)
	}
}

// TestStepTrackerNoFailingVertex checks the fallback to the solve error.
func TestStepTrackerNoFailingVertex(t *testing.T) {
	tr := newStepTracker(nil, "ref")
	be := tr.buildError(errors.New("failed to solve: dockerfile parse error on line 1: unknown instruction: FORM"))
	if be.Message != "dockerfile parse error on line 1: unknown instruction: FORM" || be.LastLines != nil {
		t.Errorf("got %+v", be)
	}
	var target *BuildError
	if !errors.As(error(be), &target) {
		t.Error("errors.As does not find *BuildError")
	}
}

// TestLineTail checks CRLF handling and the bound.
func TestLineTail(t *testing.T) {
	lt := &lineTail{max: 2}
	lt.write([]byte("a\r\nb\n"))
	lt.write([]byte("c\nd"))
	if got := lt.lines(); !reflect.DeepEqual(got, []string{"c", "d"}) {
		t.Errorf("lines = %q", got)
	}
}

// TestBuildImageInputErrors checks the errors BuildImage gives before it needs
// containerd or BuildKit (issue 6: Dockerfile missing; docs/spec/runtime.md §9.7).
func TestBuildImageInputErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		b    *plan.BuildSpec
		want string
	}{
		{"no build section", nil, `resource "web" has no build section`},
		{"missing context", &plan.BuildSpec{Context: filepath.Join(dir, "gone"), Dockerfile: filepath.Join(dir, "gone", "Dockerfile")},
			"build context " + filepath.Join(dir, "gone") + ": stat "},
		{"missing Dockerfile", &plan.BuildSpec{Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile.dev")},
			"Dockerfile " + filepath.Join(dir, "Dockerfile.dev") + " not found: set `dockerfile:` to a path relative to the context directory " + dir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &plan.ContainerSpec{Resource: "web", Image: "docker.io/lightshuttle/p_web:dev", Build: tt.b}
			err := (&Client{}).BuildImage(context.Background(), s, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestBuildAuthConfig checks that builds get the registry credentials of lsctl's own
// pulls (docs/spec/runtime.md §9.3): user/password, identity token, none.
func TestBuildAuthConfig(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	cfg := `{"auths":{"https://index.docker.io/v1/":{"auth":"` + "dXNlcjpwYXNz" + `"},` +
		`"reg.example:5000":{"identitytoken":"tok"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ host, user, pass, token string }{
		{"registry-1.docker.io", "user", "pass", ""},
		{"reg.example:5000", "", "", "tok"},
		{"other.example", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			ac, err := buildAuthConfig(context.Background(), tt.host, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ac.Username != tt.user || ac.Password != tt.pass || ac.IdentityToken != tt.token {
				t.Errorf("got user %q pass %q token %q", ac.Username, ac.Password, ac.IdentityToken)
			}
		})
	}
}
