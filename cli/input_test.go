package cli

import (
	"strings"
	"testing"
)

// Issue 12 item 8: a 20 kB resource name gives, through validate and up, one short
// line naming the rule (the address does not exist: up must stop before containerd).
func TestLongResourceNameOneShortLine(t *testing.T) {
	name := strings.Repeat("a", 20000)
	path := writeManifest(t, "project: {name: shop}\nresources:\n  ? "+name+"\n  : container: {image: 'a:1'}\n", nil)
	for _, args := range [][]string{
		{"-f", path, "validate"},
		{"-f", path, "validate", "--format", "json"},
		{"--address", "/nonexistent/containerd.sock", "--data-root", t.TempDir(), "-f", path, "up"},
	} {
		r := run(t, nil, args...)
		out := r.stdout + r.stderr
		if r.code != 1 || !strings.Contains(out, "invalid resource name") || !strings.Contains(out, "^[a-z][a-z0-9_-]{0,31}$") ||
			len(out) > 700 || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("lsctl %s: exit %d, %d bytes:\n%.1000s", args[len(args)-1], r.code, len(out), out)
		}
	}
}

// Issue 12 item 7: a NUL byte in a secret, written in the manifest or brought in by
// interpolation from the dotenv file, fails validate and up (before containerd)
// naming the key, never the value.
func TestNULSecretRefusedWithoutShowingIt(t *testing.T) {
	for _, tt := range []struct{ secrets, dotenv string }{
		{`{TOKEN: "s3cret\0tail"}`, ""},
		{`{TOKEN: "${env.T}"}`, "T=s3cret\x00tail\n"},
	} {
		path := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container:\n      image: a:1\n      secrets: "+tt.secrets+"\n",
			map[string]string{".env": tt.dotenv})
		for _, args := range [][]string{
			{"-f", path, "validate"},
			{"--address", "/nonexistent/containerd.sock", "--data-root", t.TempDir(), "-f", path, "up"},
		} {
			r := run(t, nil, args...)
			out := r.stdout + r.stderr
			if r.code != 1 || !strings.Contains(r.stderr, "resources.api.container.secrets.TOKEN: the value contains a NUL byte") ||
				strings.Contains(out, "s3cret") || strings.Contains(out, "containerd") {
				t.Errorf("%s with secrets %s: exit %d\n%s", args[len(args)-1], tt.secrets, r.code, out)
			}
		}
	}
}

// Issue 12 item 7, docs/spec/manifest.md §26.2: a sensitive host path is a warning (validate
// succeeds) and an error under --strict, for validate and for up (before containerd).
func TestSensitiveHostPathStrict(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container:\n      image: a:1\n      volumes: [\"/etc:/host-etc:ro\"]\n", nil)
	const msg = `resources.api.container.volumes[0]: host path "/etc" gives the container the host's /etc; mount a narrower directory`
	if r := run(t, nil, "-f", path, "validate"); r.code != 0 || !strings.Contains(r.stderr, "warning: ") || !strings.Contains(r.stderr, msg) {
		t.Errorf("validate: exit %d\n%s", r.code, r.stderr)
	}
	for _, args := range [][]string{
		{"-f", path, "validate", "--strict"},
		{"--address", "/nonexistent/containerd.sock", "--data-root", t.TempDir(), "-f", path, "up", "--strict"},
	} {
		r := run(t, nil, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "error: ") || !strings.Contains(r.stderr, msg) || strings.Contains(r.stderr, "containerd.sock") {
			t.Errorf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
}
