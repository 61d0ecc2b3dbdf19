package containerdrt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/plan"
)

// fixedTime is an arbitrary past modification time.
var fixedTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// writeTree creates files (path -> content) under dir; a path ending in "/" is a directory.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// buildFixture is a context with a Dockerfile, two files, a .dockerignore ignoring
// secret.txt and the logs/ directory except logs/keep.log.
func buildFixture(t *testing.T) *plan.BuildSpec {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"Dockerfile":    "FROM busybox\nCOPY . /app\n",
		"app.txt":       "hello",
		"sub/lib.txt":   "lib",
		"secret.txt":    "s3cret",
		"logs/a.log":    "a",
		"logs/keep.log": "k",
		".dockerignore": "secret.txt\nlogs\n!logs/keep.log\n",
	})
	return &plan.BuildSpec{Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile"),
		Args: []plan.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}}}
}

func mustDigest(t *testing.T, b *plan.BuildSpec) string {
	t.Helper()
	d, err := ContextDigest(b)
	if err != nil {
		t.Fatalf("ContextDigest: %v", err)
	}
	if !strings.HasPrefix(d, "sha256:") || len(d) != len("sha256:")+64 {
		t.Fatalf("digest %q is not sha256:<64 hex>", d)
	}
	return d
}

// TestContextDigestChanges checks what changes the digest and what does not
// (docs/spec/runtime.md §9.7: context after .dockerignore, Dockerfile, build_args, target).
func TestContextDigestChanges(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(t *testing.T, b *plan.BuildSpec)
		changes bool
	}{
		{"nothing", func(*testing.T, *plan.BuildSpec) {}, false},
		{"file content", func(t *testing.T, b *plan.BuildSpec) { writeTree(t, b.Context, map[string]string{"app.txt": "hello!"}) }, true},
		{"nested file content", func(t *testing.T, b *plan.BuildSpec) {
			writeTree(t, b.Context, map[string]string{"sub/lib.txt": "lib2"})
		}, true},
		{"new file", func(t *testing.T, b *plan.BuildSpec) { writeTree(t, b.Context, map[string]string{"new.txt": ""}) }, true},
		{"new empty directory", func(t *testing.T, b *plan.BuildSpec) { writeTree(t, b.Context, map[string]string{"empty/": ""}) }, true},
		{"file renamed", func(t *testing.T, b *plan.BuildSpec) {
			if err := os.Rename(filepath.Join(b.Context, "app.txt"), filepath.Join(b.Context, "app2.txt")); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"file mode", func(t *testing.T, b *plan.BuildSpec) {
			if err := os.Chmod(filepath.Join(b.Context, "app.txt"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"symlink", func(t *testing.T, b *plan.BuildSpec) {
			if err := os.Symlink("app.txt", filepath.Join(b.Context, "link")); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"ignored file content", func(t *testing.T, b *plan.BuildSpec) {
			writeTree(t, b.Context, map[string]string{"secret.txt": "other"})
		}, false},
		{"file in ignored directory", func(t *testing.T, b *plan.BuildSpec) { writeTree(t, b.Context, map[string]string{"logs/b.log": "b"}) }, false},
		{"re-included file", func(t *testing.T, b *plan.BuildSpec) {
			writeTree(t, b.Context, map[string]string{"logs/keep.log": "k2"})
		}, true},
		{"dockerignore stops ignoring", func(t *testing.T, b *plan.BuildSpec) {
			writeTree(t, b.Context, map[string]string{".dockerignore": "logs\n!logs/keep.log\n"})
		}, true},
		{"modification time only", func(t *testing.T, b *plan.BuildSpec) {
			if err := os.Chtimes(filepath.Join(b.Context, "app.txt"), fixedTime, fixedTime); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"Dockerfile content", func(t *testing.T, b *plan.BuildSpec) {
			writeTree(t, b.Context, map[string]string{"Dockerfile": "FROM busybox\nCOPY . /srv\n"})
		}, true},
		{"build arg value", func(_ *testing.T, b *plan.BuildSpec) { b.Args[1].Value = "3" }, true},
		{"build arg order", func(_ *testing.T, b *plan.BuildSpec) { b.Args[0], b.Args[1] = b.Args[1], b.Args[0] }, true},
		{"build arg added", func(_ *testing.T, b *plan.BuildSpec) { b.Args = append(b.Args, plan.EnvVar{Name: "C"}) }, true},
		{"target", func(_ *testing.T, b *plan.BuildSpec) { b.Target = "final" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := buildFixture(t)
			before := mustDigest(t, b)
			tt.mutate(t, b)
			after := mustDigest(t, b)
			if (before != after) != tt.changes {
				t.Errorf("digest changed = %v, want %v (%s -> %s)", before != after, tt.changes, before, after)
			}
		})
	}
}

// TestContextDigestArgBoundaries checks that fields cannot run into each other.
func TestContextDigestArgBoundaries(t *testing.T) {
	b := buildFixture(t)
	b.Args = []plan.EnvVar{{Name: "AB", Value: "C"}}
	one := mustDigest(t, b)
	b.Args = []plan.EnvVar{{Name: "A", Value: "BC"}}
	if two := mustDigest(t, b); one == two {
		t.Fatal("build args AB=C and A=BC give the same digest")
	}
}

// TestContextDigestSameContentSameDigest checks that the digest depends on content,
// not on where the context lives.
func TestContextDigestSameContentSameDigest(t *testing.T) {
	a, b := buildFixture(t), buildFixture(t)
	if mustDigest(t, a) != mustDigest(t, b) {
		t.Fatal("two identical contexts in different directories give different digests")
	}
}

// TestContextDigestDockerfileSpecificIgnore checks BuildKit's precedence: a
// <Dockerfile>.dockerignore replaces the context's .dockerignore.
func TestContextDigestDockerfileSpecificIgnore(t *testing.T) {
	b := buildFixture(t)
	writeTree(t, b.Context, map[string]string{"Dockerfile.dockerignore": "app.txt\n"})
	before := mustDigest(t, b)
	writeTree(t, b.Context, map[string]string{"app.txt": "changed"})
	if mustDigest(t, b) != before {
		t.Error("a file ignored by Dockerfile.dockerignore changed the digest")
	}
	writeTree(t, b.Context, map[string]string{"secret.txt": "changed"})
	if mustDigest(t, b) == before {
		t.Error("secret.txt is not ignored by Dockerfile.dockerignore but did not change the digest")
	}
}

// TestContextDigestErrors checks the errors for a missing Dockerfile or context.
func TestContextDigestErrors(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"Dockerfile": "FROM x\n", "file": ""})
	tests := []struct {
		name string
		b    *plan.BuildSpec
		want string
	}{
		{"nil", nil, "no build section"},
		{"missing Dockerfile", &plan.BuildSpec{Context: dir, Dockerfile: filepath.Join(dir, "Nope")}, "read Dockerfile"},
		{"missing context", &plan.BuildSpec{Context: filepath.Join(dir, "gone"), Dockerfile: filepath.Join(dir, "Dockerfile")}, "build context"},
		{"context is a file", &plan.BuildSpec{Context: filepath.Join(dir, "file"), Dockerfile: filepath.Join(dir, "Dockerfile")}, "is not a directory"},
		{"bad ignore pattern", nil, "invalid pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.b
			if tt.name == "bad ignore pattern" {
				b = buildFixture(t)
				writeTree(t, b.Context, map[string]string{".dockerignore": "[\n"})
			}
			_, err := ContextDigest(b)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
