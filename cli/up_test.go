package cli

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/containerdrt"
)

// docs/spec/runtime.md §17 item 69: a missing variable fails before containerd is contacted
// (the address below does not exist, so reaching it would print another error).
func TestUpMissingEnvBeforeContainerd(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container:\n      image: a:1\n      env: {T: '${env.X}'}\n", nil)
	r := run(t, nil, "--address", "/nonexistent/containerd.sock", "--data-root", t.TempDir(), "-f", path, "up")
	if r.code != 1 || !strings.Contains(r.stderr, "missing required environment variable(s): X") || strings.Contains(r.stderr, "containerd") {
		t.Errorf("code %d stderr %q", r.code, r.stderr)
	}
}

// docs/spec/runtime.md §17 item 70.
func TestUpUnreachableContainerd(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container: {image: 'a:1'}\n", nil)
	addr := t.TempDir() + "/containerd.sock"
	r := run(t, nil, "--address", addr, "--data-root", t.TempDir(), "-f", path, "up")
	want := "error: cannot connect to containerd at " + addr + ": "
	if r.code != 1 || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("code %d stderr %q", r.code, r.stderr)
	}
}

// docs/spec/runtime.md §12.9, §17 item 14: a second up of a busy project fails naming the holder.
func TestUpBusyProject(t *testing.T) {
	root := t.TempDir()
	lock, err := containerdrt.LockProject(root, "shop", "up")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	path := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container: {image: 'a:1'}\n", nil)
	r := run(t, nil, "--data-root", root, "-f", path, "up")
	want := fmt.Sprintf("error: project \"shop\" is busy: lsctl up (pid %d) is running\n", os.Getpid())
	if r.code != 1 || r.stderr != want {
		t.Errorf("code %d stderr %q, want %q", r.code, r.stderr, want)
	}
}

// docs/spec/runtime.md §16.3 --strict: warnings are errors before anything starts.
func TestUpStrictWarnings(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container: {image: alpine}\n", nil)
	r := run(t, nil, "--address", "/nonexistent.sock", "--data-root", t.TempDir(), "-f", path, "up", "--strict")
	if r.code != 1 || !strings.Contains(r.stderr, "error: ") || !strings.Contains(r.stderr, "has no tag") {
		t.Errorf("code %d stderr %q", r.code, r.stderr)
	}
}

// docs/spec/runtime.md §12.3 failure report.
func TestStartupReport(t *testing.T) {
	tests := []struct {
		err  *actors.StartupError
		want string
	}{
		{&actors.StartupError{Resource: "api", Reason: "exited with code 3 before becoming ready", LastLines: []string{"a", "b"}},
			"error: startup failed: resource \"api\": exited with code 3 before becoming ready\nlast 20 log lines of api:\n  a\n  b\n"},
		{&actors.StartupError{Resource: "api", Reason: "x"}, "error: startup failed: resource \"api\": x\nlast 20 log lines of api:\n  (no output)\n"},
	}
	for _, tt := range tests {
		s, _, errb := downSession(t)
		if code := s.report(s.startupReport(tt.err, nil)); code != 1 || errb.String() != tt.want {
			t.Errorf("code %d stderr %q", code, errb.String())
		}
	}
}

func loadForTest(t *testing.T, path string) *loaded {
	t.Helper()
	s, _, errb := downSession(t)
	s.opts.File = path
	s.lookupEnv = func(string) (string, bool) { return "", false }
	ld, err := s.load("", false)
	if err != nil {
		t.Fatalf("%v: %s", err, errb)
	}
	return ld
}

// docs/spec/manifest.md §26.2: pull requires the variables its image references need, and only
// those; it fails before contacting containerd.
func TestPullMissingImageVariable(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container:\n      image: 'x/${env.TAGLESS}:1'\n      env: {T: '${env.OTHER}'}\n", nil)
	r := run(t, nil, "--address", "/nonexistent.sock", "-f", path, "pull")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "error: missing required environment variable(s): TAGLESS (set them in ") {
		t.Errorf("code %d stderr %q", r.code, r.stderr)
	}
}
