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
