package integration

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// cliBuildDockerfile builds web FROM the locally loaded busybox (no registry): a
// global ARG in FROM, a stage ARG, COPY, RUN, a multi-stage target serving HTTP with
// busybox httpd, and a stage after the target whose failing RUN prints two lines.
const cliBuildDockerfile = `ARG BASE=` + "localhost/lsctl-test/busybox:1" + `
FROM ${BASE} AS site
ARG GREETING=default
COPY site/ /src/
RUN mkdir -p /www && cp /src/* /www/ && echo "$GREETING from RUN" > /www/greeting.txt && ls /www > /www/files.txt

FROM localhost/lsctl-test/busybox:1 AS final
COPY --from=site /www/ /www/
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]

FROM final AS broken
RUN echo failing-step-line-1; echo failing-step-line-2; exit 7
`

// cliBuildManifest: web is built and serves HTTP; probe, another resource of the
// stack, fetches three paths from http://web:8080/ once web is healthy and logs them.
// (busybox's static wget crashes on this host, hence nc.)
func cliBuildManifest(target string) string {
	fetch := func(path string) string {
		return `printf 'GET ` + path + ` HTTP/1.0\r\n\r\n' | nc web 8080; echo; `
	}
	return `project:
  name: clibuild
resources:
  web:
    dockerfile:
      context: ./web
      target: ` + target + `
      build_args:
        GREETING: hi
      healthcheck:
        test: ["CMD-SHELL", "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 8080 | grep -q hello"]
        interval: 1s
        start_interval: 100ms
  probe:
    container:
      image: ` + harness.ImageRef("busybox") + `
      command: "` + fetch("/greeting.txt") + fetch("/index.html") + fetch("/files.txt") + fetch("/secret.txt") +
		`echo probe-done; trap 'exit 0' TERM; while :; do sleep 1; done"
      depends_on: [web]
`
}

// cliBuildProject writes the manifest, web's context with a .dockerignore'd file, and
// an empty sub-directory to run lsctl from.
func cliBuildProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"lightshuttle.yml":      cliBuildManifest("final"),
		"web/Dockerfile":        cliBuildDockerfile,
		"web/.dockerignore":     "site/secret.txt\n",
		"web/site/index.html":   "hello v1\n",
		"web/site/secret.txt":   "do not ship\n",
		"sub/deeper/README.txt": "lsctl runs from here, finding the manifest by walking up\n",
	})
	return dir
}

// cliBuildRun runs the built lsctl in dir against env and the test buildkitd.
func cliBuildRun(t *testing.T, env *harness.Env, bk, dir string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, harness.Binary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), env.Environ(t)...), "BUILDKIT_HOST="+bk)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errb.String()
	case err != nil:
		t.Fatalf("run lsctl %v: %v", args, err)
	}
	return 0, out.String(), errb.String()
}

// probeOutput waits for probe's fetches in its log and returns them.
func probeOutput(t *testing.T, env *harness.Env, bk, dir string) string {
	t.Helper()
	var out string
	waitForCLI(t, func() bool {
		_, out, _ = cliBuildRun(t, env, bk, dir, "logs", "--no-prefix", "probe")
		return strings.Contains(out, "probe-done")
	})
	return out
}

// Issue 6 acceptance, docs/spec/runtime.md §9.7 and §17 item 27, through the CLI on a real
// containerd and buildkitd.
func TestCLIBuildDockerfileStack(t *testing.T) {
	env := harness.Require(t)
	bk := requireBuildkit(t)
	dir := cliBuildProject(t)
	sub := filepath.Join(dir, "sub", "deeper")
	cliLoadImages(t, env, dir, "busybox")
	t.Cleanup(func() { cliBuildRun(t, env, bk, dir, "down", "--volumes") })

	// A Dockerfile FROM a local image, with COPY, RUN, ARG and a target, builds and
	// serves HTTP to another resource of the stack.
	code, out, errOut := cliBuildRun(t, env, bk, dir, "up", "-d", "--pull", "never")
	if code != 0 {
		t.Fatalf("first up -d: exit %d\n%s%s", code, out, errOut)
	}
	wantLines(t, "first up", out, "web: building docker.io/lightshuttle/clibuild_web:dev",
		"web: build: ", "RUN mkdir -p /www", "web: built docker.io/lightshuttle/clibuild_web:dev in ",
		"web: healthy after ", "probe: running", "[clibuild] ready: 2 resource(s) in ")
	if strings.Contains(out, "failing-step") {
		t.Errorf("the stage after the target was built:\n%s", out)
	}
	served := probeOutput(t, env, bk, dir)
	wantLines(t, "probe's fetches", served, "hi from RUN", "hello v1", "greeting.txt", "index.html")
	// The .dockerignore'd file is absent from the image: not listed, not served.
	if strings.Contains(served, "\nsecret.txt\n") || strings.Contains(served, "do not ship") || !strings.Contains(served, "404") {
		t.Errorf("probe saw the .dockerignore'd file:\n%s", served)
	}

	// An unchanged context is not rebuilt: no building line (no resource_building).
	code, out, errOut = cliBuildRun(t, env, bk, dir, "up", "-d", "--pull", "never")
	if code != 0 {
		t.Fatalf("second up -d: exit %d\n%s%s", code, out, errOut)
	}
	wantLines(t, "second up", out, "web: image docker.io/lightshuttle/clibuild_web:dev is up to date (context unchanged)")
	if strings.Contains(out, "web: building") || strings.Contains(out, "web: build:") {
		t.Errorf("second up rebuilt an unchanged context:\n%s", out)
	}

	// up --build rebuilds an unchanged context.
	code, out, errOut = cliBuildRun(t, env, bk, dir, "up", "-d", "--pull", "never", "--build")
	if code != 0 {
		t.Fatalf("up -d --build: exit %d\n%s%s", code, out, errOut)
	}
	wantLines(t, "up --build", out, "web: building ", "web: built ")

	// Changing one file rebuilds, from a sub-directory (manifest found by walking up,
	// context relative to the manifest directory, §17 item 27).
	writeFiles(t, dir, map[string]string{"web/site/index.html": "hello v2\n"})
	code, out, errOut = cliBuildRun(t, env, bk, sub, "up", "-d", "--pull", "never")
	if code != 0 {
		t.Fatalf("up -d from %s after a change: exit %d\n%s%s", sub, code, out, errOut)
	}
	wantLines(t, "up after a change", out, "web: building ", "web: built ")
	if code, out, errOut = cliBuildRun(t, env, bk, sub, "restart", "probe"); code != 0 {
		t.Fatalf("restart probe: exit %d\n%s%s", code, out, errOut)
	}
	waitForCLI(t, func() bool {
		_, out, _ = cliBuildRun(t, env, bk, dir, "logs", "--no-prefix", "probe")
		return strings.Contains(out, "hello v2")
	})

	cliBuildCommand(t, env, bk, dir)

	// A failing RUN makes up exit 1 with the step's output.
	writeFiles(t, dir, map[string]string{"lightshuttle.yml": cliBuildManifest("broken")})
	code, out, errOut = cliBuildRun(t, env, bk, dir, "up", "-d", "--pull", "never")
	if code != 1 {
		t.Fatalf("up -d of a failing build: exit %d, want 1\n%s%s", code, out, errOut)
	}
	wantLines(t, "failing up's stderr", errOut, `error: startup failed: resource "web": `, "image build failed: ",
		"last 20 lines of the failing build step of web:", "  failing-step-line-1", "  failing-step-line-2")
}

// cliBuildCommand checks `lsctl build`: a forced build of web, a skipped container
// resource, an unknown name.
func cliBuildCommand(t *testing.T, env *harness.Env, bk, dir string) {
	t.Helper()
	code, out, errOut := cliBuildRun(t, env, bk, dir, "build", "web", "probe")
	if code != 0 {
		t.Fatalf("build web probe: exit %d\n%s%s", code, out, errOut)
	}
	wantLines(t, "build", out, "probe: skipped (not built from a Dockerfile)",
		"web: building docker.io/lightshuttle/clibuild_web:dev", "web: built docker.io/lightshuttle/clibuild_web:dev in ")
	code, _, errOut = cliBuildRun(t, env, bk, dir, "build", "nope")
	if code != 1 || errOut != "error: unknown resource \"nope\" in project \"clibuild\"\n" {
		t.Errorf("build nope: exit %d, stderr %q", code, errOut)
	}
}

// wantLines reports every wanted fragment missing from text.
func wantLines(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// Issue 15: a monorepo keeps deploy/lightshuttle.yml beside the code, with the build
// context above the manifest directory (`context: ..`). The build sees the whole
// repository minus its .dockerignore; flags written after the arguments and the global
// -f after the command name (`lsctl build web --pull never -f deploy/lightshuttle.yml`)
// work as an upstream user types them.
func TestCLIBuildContextOutsideManifest(t *testing.T) {
	env := harness.Require(t)
	bk := requireBuildkit(t)
	repo := t.TempDir()
	writeFiles(t, repo, map[string]string{
		"deploy/lightshuttle.yml": "project:\n  name: mono\nresources:\n  web:\n    dockerfile:\n" +
			"      context: ..\n      dockerfile: web/Dockerfile\n",
		// The RUN fails the build unless the code outside deploy/ is there and the
		// .dockerignore'd file is not.
		"web/Dockerfile": "FROM " + harness.ImageRef("busybox") + "\nCOPY . /src/\n" +
			"RUN test -f /src/web/site/index.html && test -f /src/deploy/lightshuttle.yml && ! test -e /src/web/site/secret.txt\n",
		".dockerignore":       "web/site/secret.txt\n",
		"web/site/index.html": "hello\n",
		"web/site/secret.txt": "do not ship\n",
	})
	cliLoadImages(t, env, repo, "busybox")
	code, out, errOut := cliBuildRun(t, env, bk, repo, "validate", "-f", "deploy/lightshuttle.yml", "--strict")
	if code != 0 || out != "ok: project `mono` with 1 resource(s)\n" {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = cliBuildRun(t, env, bk, repo, "build", "web", "--pull", "never", "-f", "deploy/lightshuttle.yml")
	if code != 0 {
		t.Fatalf("build web with context ..: exit %d\n%s%s", code, out, errOut)
	}
	wantLines(t, "build", out, "web: building docker.io/lightshuttle/mono_web:dev", "web: built docker.io/lightshuttle/mono_web:dev in ")
}
