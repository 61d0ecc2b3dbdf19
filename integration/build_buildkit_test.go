package integration

import (
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

// multiStageDockerfile builds FROM the locally loaded busybox (no registry) with a
// global ARG in FROM, a stage ARG, COPY, RUN, and a stage after the target that would
// fail if it were built.
const multiStageDockerfile = `ARG BASE=localhost/lsctl-test/busybox:latest
FROM ${BASE} AS builder
ARG GREETING=default
COPY src/ /src/
RUN echo "$GREETING from RUN" > /greeting && cat /src/message.txt >> /greeting

FROM localhost/lsctl-test/busybox AS final
COPY --from=builder /greeting /www/greeting
COPY --from=builder /src/ /www/
CMD ["sh", "-c", "cat /www/greeting; ls /www"]

FROM final AS broken
RUN exit 7
`

// multiStageContext writes the context of multiStageDockerfile into a fresh directory.
func multiStageContext(t *testing.T) string {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"Dockerfile":       multiStageDockerfile,
		".dockerignore":    "src/secret.txt\n**/*.tmp\n",
		"src/message.txt":  "message v1\n",
		"src/secret.txt":   "do not ship\n",
		"src/scratch.tmp":  "x\n",
		"unused/other.txt": "not copied\n",
	})
	return dir
}

// Issue 6 acceptance; docs/spec/runtime.md §9.7: a Dockerfile FROM a local image with COPY, RUN,
// ARG and a multi-stage target builds, runs, and a .dockerignored file is absent.
func TestBuildMultiStageFromLocalImage(t *testing.T) {
	b := newBuildEnv(t)
	c := b.client(t, b.addr, false)
	s := b.buildSpec(t, "web", multiStageContext(t), "final", plan.EnvVar{Name: "GREETING", Value: "hi"})

	phases, steps, err := build(t, c, s)
	if err != nil {
		t.Fatalf("BuildImage: %v", err)
	}
	if !slices.Equal(phases, []string{"building", "built"}) {
		t.Errorf("phases = %q, want building, built", phases)
	}
	if !slices.ContainsFunc(steps, func(s string) bool { return strings.Contains(s, "RUN echo") }) {
		t.Errorf("build steps %q do not include the RUN step", steps)
	}
	if slices.ContainsFunc(steps, func(s string) bool { return strings.Contains(s, "exit 7") }) {
		t.Errorf("build steps %q include the stage after the target", steps)
	}
	out := strings.Join(b.runImage(t, s.Image), "\n")
	for _, want := range []string{"hi from RUN", "message v1", "message.txt"} {
		if !strings.Contains(out, want) {
			t.Errorf("image output %q lacks %q", out, want)
		}
	}
	for _, ignored := range []string{"secret.txt", "scratch.tmp"} {
		if strings.Contains(out, ignored) {
			t.Errorf("image output %q lists %s, which .dockerignore excludes", out, ignored)
		}
	}
}

// docs/spec/runtime.md §9.7: an unchanged context is not rebuilt (Phase "present"); a change to
// an ignored file neither; a change to one copied file rebuilds; Options.Build (up
// --build) always rebuilds.
func TestBuildSkipsUnchangedContext(t *testing.T) {
	b := newBuildEnv(t)
	c := b.client(t, b.addr, false)
	dir := multiStageContext(t)
	s := b.buildSpec(t, "web", dir, "final")
	if _, _, err := build(t, c, s); err != nil {
		t.Fatalf("first build: %v", err)
	}
	digest, err := containerdrt.ContextDigest(s.Build)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.imageLabel(t, s.Image); got != digest {
		t.Fatalf("context-digest label = %q, want %q", got, digest)
	}

	steps := []struct {
		name   string
		change map[string]string
		force  bool
		want   []string
	}{
		{"unchanged", nil, false, []string{"present"}},
		{"ignored file changed", map[string]string{"src/secret.txt": "still not shipped\n"}, false, []string{"present"}},
		{"copied file changed", map[string]string{"src/message.txt": "message v2\n"}, false, []string{"building", "built"}},
		{"unchanged after rebuild", nil, false, []string{"present"}},
		{"forced", nil, true, []string{"building", "built"}},
	}
	for _, st := range steps {
		writeFiles(t, dir, st.change)
		phases, _, err := build(t, b.client(t, b.addr, st.force), s)
		if err != nil {
			t.Fatalf("%s: BuildImage: %v", st.name, err)
		}
		if !slices.Equal(phases, st.want) {
			t.Errorf("%s: phases = %q, want %q", st.name, phases, st.want)
		}
	}
	out := strings.Join(b.runImage(t, s.Image), "\n")
	if !strings.Contains(out, "message v2") {
		t.Errorf("rebuilt image output %q lacks the changed file's content", out)
	}
}

// imageLabel returns the context-digest label of an image.
func (b *buildEnv) imageLabel(t *testing.T, ref string) string {
	t.Helper()
	img, err := b.raw.ImageService().Get(b.ctx, ref)
	if err != nil {
		t.Fatalf("get image %s: %v", ref, err)
	}
	return img.Labels[plan.LabelContextDigest]
}

// docs/spec/runtime.md §9.7: a failing step fails with `image build failed: <message>` and the
// last 20 lines of that step's output.
func TestBuildFailingStepShowsItsOutput(t *testing.T) {
	b := newBuildEnv(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": "FROM localhost/lsctl-test/busybox\n" +
		"RUN echo fine\n" +
		"RUN for i in $(seq 1 30); do echo out-$i; done; exit 3\n"})
	s := b.buildSpec(t, "bad", dir, "")
	_, _, err := build(t, b.client(t, b.addr, false), s)
	var be *containerdrt.BuildError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v (%T), want *BuildError", err, err)
	}
	if !strings.HasPrefix(be.Error(), "image build failed: ") || !strings.Contains(be.Message, "exit code: 3") {
		t.Errorf("Error() = %q, want image build failed: ... exit code: 3", be.Error())
	}
	want := make([]string, 0, 20)
	for i := 11; i <= 30; i++ {
		want = append(want, "out-"+strconv.Itoa(i))
	}
	if !slices.Equal(be.LastLines, want) {
		t.Errorf("LastLines = %q, want out-11..out-30", be.LastLines)
	}
	if _, err := b.raw.ImageService().Get(b.ctx, s.Image); err == nil {
		t.Error("a failed build left an image record")
	}
}

// docs/spec/runtime.md §9.7: unreachable buildkitd names the address and how to fix it. This
// needs containerd only.
func TestBuildUnreachableBuildkit(t *testing.T) {
	e := newRTEnv(t)
	b := &buildEnv{rtEnv: e}
	dir := multiStageContext(t)
	addr := "unix://" + filepath.Join(t.TempDir(), "none.sock")
	s := b.buildSpec(t, "web", dir, "final")
	_, _, err := build(t, b.client(t, addr, false), s)
	want := "cannot connect to BuildKit at " + addr + ": no such file or directory (start buildkitd or set --buildkit-address / BUILDKIT_HOST)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

// docs/spec/manifest.md §11: `dockerfile:` names a file relative to the context, here in a
// sub-directory and not called Dockerfile; the context stays the directory given.
func TestBuildDockerfileElsewhere(t *testing.T) {
	b := newBuildEnv(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"docker/web.Dockerfile": "FROM localhost/lsctl-test/busybox\nCOPY app.txt /app.txt\nCMD [\"cat\", \"/app.txt\"]\n",
		"app.txt":               "from the context root\n",
	})
	s := b.buildSpec(t, "web", dir, "")
	s.Build.Dockerfile = filepath.Join(dir, "docker", "web.Dockerfile")
	if _, _, err := build(t, b.client(t, b.addr, false), s); err != nil {
		t.Fatalf("BuildImage: %v", err)
	}
	if out := b.runImage(t, s.Image); !slices.Equal(out, []string{"from the context root"}) {
		t.Errorf("image output = %q", out)
	}
}
