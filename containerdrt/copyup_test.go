package containerdrt

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// docs/spec/runtime.md §7.1 copy-up: contents, ownership and modes, the directory's own included.
func TestCopyTree(t *testing.T) {
	if os.Geteuid() != 0 {
		skipUnlessRequired(t, "copying ownership needs root")
	}
	src, dst := filepath.Join(t.TempDir(), "src"), t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Mkdir(src, 0o700))
	must(os.Chown(src, 70, 70))
	must(os.Chmod(src, 0o750))
	must(os.MkdirAll(filepath.Join(src, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(src, "sub", "file"), []byte("hello"), 0o640))
	must(os.Chown(filepath.Join(src, "sub", "file"), 999, 998))
	must(unix.Chmod(filepath.Join(src, "sub", "file"), 0o4755)) // setuid survives the chown
	must(os.Symlink("sub/file", filepath.Join(src, "link")))
	must(os.Link(filepath.Join(src, "sub", "file"), filepath.Join(src, "hard")))
	must(copyTree(src, dst))

	check := func(rel string, mode os.FileMode, uid, gid uint32) {
		t.Helper()
		st, err := os.Lstat(filepath.Join(dst, rel))
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		sys := st.Sys().(*syscall.Stat_t)
		if sys.Mode&0o7777 != uint32(mode) || sys.Uid != uid || sys.Gid != gid {
			t.Errorf("%s: mode %o uid %d gid %d, want %o %d %d", rel, sys.Mode&0o7777, sys.Uid, sys.Gid, mode, uid, gid)
		}
	}
	check(".", 0o750, 70, 70)
	check("sub", 0o755, 0, 0)
	check("sub/file", 0o4755, 999, 998)
	if data, _ := os.ReadFile(filepath.Join(dst, "sub", "file")); string(data) != "hello" {
		t.Errorf("content %q", data)
	}
	if target, err := os.Readlink(filepath.Join(dst, "link")); err != nil || target != "sub/file" {
		t.Errorf("symlink %q, %v", target, err)
	}
	a, _ := os.Stat(filepath.Join(dst, "hard"))
	b, _ := os.Stat(filepath.Join(dst, "sub", "file"))
	if !os.SameFile(a, b) {
		t.Error("hard link not preserved")
	}
}

func TestResolveInRoot(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "real", "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{"abs": "/real", "rel": "real/dir", "escape": "../../../../etc", "loop": "loop"}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ in, want string }{
		{"/real/dir", "/real/dir"},
		{"/abs/dir", "/real/dir"},
		{"/rel", "/real/dir"},
		{"/escape/passwd", "/etc/passwd"}, // stays inside root
		{"/../../real", "/real"},
	}
	for _, tt := range tests {
		got, err := resolveInRoot(root, tt.in)
		if err != nil || got != filepath.Join(root, tt.want) {
			t.Errorf("%s: %q, %v; want %q", tt.in, got, err, filepath.Join(root, tt.want))
		}
	}
	if _, err := resolveInRoot(root, "/loop/x"); err == nil {
		t.Error("a symlink loop resolved")
	}
}
