package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 7 through the CLI: export writes files next to the manifest, refuses a non-empty
// directory without --force, and an unknown target is a usage error (exit 2).
func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	mf := filepath.Join(dir, "lightshuttle.yml")
	src := "project:\n  name: shop\nresources:\n  db:\n    postgres: {}\n  api:\n    container:\n      image: busybox:1\n      env:\n        DB: ${resources.db.url}\n"
	if err := os.WriteFile(mf, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "-f", mf, "export", "compose")
	want := "ok: wrote 2 file(s) for compose to " + filepath.Join(dir, "export", "compose")
	if r.code != 0 || !strings.HasPrefix(strings.TrimSpace(r.stdout), "ok: wrote ") {
		t.Fatalf("export compose: code %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "export", "compose", "compose.yaml")); err != nil {
		t.Fatalf("compose.yaml not written (%s): %v", want, err)
	}
	if r = run(t, nil, "-f", mf, "export", "compose"); r.code != 1 {
		t.Errorf("non-empty directory without --force: code %d, stderr %s", r.code, r.stderr)
	}
	if r = run(t, nil, "-f", mf, "export", "compose", "--force"); r.code != 0 {
		t.Errorf("--force: code %d, stderr %s", r.code, r.stderr)
	}
	r = run(t, nil, "-f", mf, "export", "swarm")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown export target "swarm"`) || !strings.Contains(r.stderr, `Run "lsctl export --help" for usage.`) {
		t.Errorf("unknown target: code %d, stderr %q", r.code, r.stderr)
	}
}
