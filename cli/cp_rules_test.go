package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/containerdrt/archive"
)

// cpTree lays out, below a fresh directory, /src/dir (a, sub/b, mode 0755),
// /src/file, /dst/dir (mode 0700, holding old) and /dst/file, and returns it.
func cpTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range map[string]string{
		"src/dir/a": "a", "src/dir/sub/b": "b", "src/file": "file", "dst/dir/old": "old", "dst/file": "was",
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "dst/dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	return root
}

// Issue 13: cp follows docker cp's documented rules, SRC/. included, in both
// directions (both sides are an archive.Root, whichever tree they are).
func TestCpDockerRules(t *testing.T) {
	tests := []struct {
		name, src, dst string
		want           map[string]string // path below the tree -> contents ("" for a directory)
		absent         []string
		err            string
	}{
		{name: "file to a new name", src: "/src/file", dst: "/dst/new", want: map[string]string{"dst/new": "file"}},
		{name: "file to a new name with a slash", src: "/src/file", dst: "/dst/new/", err: "the directory does not exist"},
		{name: "file onto a file", src: "/src/file", dst: "/dst/file", want: map[string]string{"dst/file": "file"}},
		{name: "file into a directory", src: "/src/file", dst: "/dst/dir", want: map[string]string{"dst/dir/file": "file", "dst/dir/old": "old"}},
		{name: "file into a directory with a slash", src: "/src/file", dst: "/dst/dir/", want: map[string]string{"dst/dir/file": "file"}},
		{name: "file onto a file written as a directory", src: "/src/file", dst: "/dst/file/", err: "is not a directory"},
		{name: "file written as a directory", src: "/src/file/.", dst: "/dst/dir", err: "/src/file/. is not a directory"},
		{name: "directory to a new name", src: "/src/dir", dst: "/dst/new", want: map[string]string{"dst/new/a": "a", "dst/new/sub/b": "b"}},
		{name: "directory onto a file", src: "/src/dir", dst: "/dst/file", err: "cannot copy a directory onto the file"},
		{name: "directory into a directory", src: "/src/dir", dst: "/dst/dir",
			want: map[string]string{"dst/dir/dir/a": "a", "dst/dir/dir/sub/b": "b", "dst/dir/old": "old"}, absent: []string{"dst/dir/a"}},
		{name: "directory with a slash into a directory", src: "/src/dir/", dst: "/dst/dir", want: map[string]string{"dst/dir/dir/a": "a"}},
		{name: "contents into a directory", src: "/src/dir/.", dst: "/dst/dir",
			want: map[string]string{"dst/dir/a": "a", "dst/dir/sub/b": "b", "dst/dir/old": "old"}, absent: []string{"dst/dir/dir"}},
		{name: "contents to a new name", src: "/src/dir/.", dst: "/dst/new", want: map[string]string{"dst/new/a": "a", "dst/new/sub/b": "b"}},
		{name: "contents onto a file", src: "/src/dir/.", dst: "/dst/file", err: "cannot copy a directory onto the file"},
		{name: "new name in a missing directory", src: "/src/file", dst: "/nope/new", err: "the directory /nope does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := cpTree(t)
			r, err := archive.OpenRoot(dir, "t")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			src, err := sourceOf(r, tt.src, tt.src)
			if err == nil {
				err = copyTree(r, src, r, tt.dst, dirOnly(tt.dst))
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("cp %s %s: error %v, want %q", tt.src, tt.dst, err, tt.err)
				}
				if b, _ := os.ReadFile(filepath.Join(dir, "dst/file")); string(b) != "was" {
					t.Errorf("a refused copy changed dst/file to %q", b)
				}
				return
			}
			if err != nil {
				t.Fatalf("cp %s %s: %v", tt.src, tt.dst, err)
			}
			for p, body := range tt.want {
				if b, err := os.ReadFile(filepath.Join(dir, p)); err != nil || string(b) != body {
					t.Errorf("%s: %q, %v; want %q", p, b, err, body)
				}
			}
			for _, p := range tt.absent {
				if _, err := os.Lstat(filepath.Join(dir, p)); err == nil {
					t.Errorf("%s exists; it must not", p)
				}
			}
			// Filling a directory never gives it the source directory's mode.
			if st, err := os.Stat(filepath.Join(dir, "dst/dir")); err != nil || st.Mode().Perm() != 0o700 {
				t.Errorf("dst/dir mode changed: %v %v", st.Mode(), err)
			}
		})
	}
}
