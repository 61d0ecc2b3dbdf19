package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// tree writes a test tree under dir: a file with an owner and mode, a setgid
// directory, a symbolic link, a hard link and a fifo.
func tree(t *testing.T, dir string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "data", "sub"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "data", "conf"), []byte("secret=1\n"), 0o640))
	must(os.Chown(filepath.Join(dir, "data", "conf"), 70, 71))
	must(os.Chown(filepath.Join(dir, "data", "sub"), 70, 71))
	must(os.Chmod(filepath.Join(dir, "data", "sub"), os.ModeSetgid|0o750)) // after chown, which clears setgid
	must(os.Symlink("conf", filepath.Join(dir, "data", "sub", "link")))
	must(os.Link(filepath.Join(dir, "data", "conf"), filepath.Join(dir, "data", "hard")))
	must(syscall.Mkfifo(filepath.Join(dir, "data", "pipe"), 0o600))
}

// Issue 13 (lsctl cp): a directory copied out and in again keeps its contents,
// owners, modes, links and special files, under a new name.
func TestRoundTrip(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("owners can only be kept by root")
	}
	src, dst := t.TempDir(), t.TempDir()
	tree(t, src)
	from, err := OpenRoot(src, "src")
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	to, err := OpenRoot(dst, "dst")
	if err != nil {
		t.Fatal(err)
	}
	defer to.Close()
	var buf bytes.Buffer
	if err := from.WriteTar(&buf, "/data", "data"); err != nil {
		t.Fatal(err)
	}
	if err := to.ExtractTar(&buf, "/", "copy"); err != nil {
		t.Fatal(err)
	}
	st := func(p string) *syscall.Stat_t {
		var s syscall.Stat_t
		if err := syscall.Lstat(filepath.Join(dst, "copy", p), &s); err != nil {
			t.Fatal(err)
		}
		return &s
	}
	if s := st("conf"); s.Mode&0o7777 != 0o640 || s.Uid != 70 || s.Gid != 71 {
		t.Errorf("conf: mode %o owner %d:%d", s.Mode&0o7777, s.Uid, s.Gid)
	}
	if s := st("sub"); s.Mode&0o7777 != 0o2750 || s.Uid != 70 {
		t.Errorf("sub: mode %o owner %d", s.Mode&0o7777, s.Uid)
	}
	if target, _ := os.Readlink(filepath.Join(dst, "copy", "sub", "link")); target != "conf" {
		t.Errorf("link -> %q", target)
	}
	if st("hard").Ino != st("conf").Ino {
		t.Error("the hard link became a copy")
	}
	if st("pipe").Mode&syscall.S_IFMT != syscall.S_IFIFO {
		t.Error("the fifo was not kept")
	}
	if data, _ := os.ReadFile(filepath.Join(dst, "copy", "conf")); string(data) != "secret=1\n" {
		t.Errorf("content %q", data)
	}
}

// Issue 13: a path that leaves the root through `..` or a symbolic link is an error;
// links that stay inside resolve as the tree's processes see them.
func TestResolve(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir)
	for link, target := range map[string]string{"up": "../../..", "abs": "/data/sub", "rel": "data/sub/../conf", "deep": "data/../../x"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := OpenRoot(dir, "db")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tests := []struct {
		path, want string
		escape     bool
	}{
		{"/abs/link", "/data/sub/link", false}, // the last link is not followed
		{"/rel", "/data/conf", false},
		{"/data/../data/conf", "/data/conf", false},
		{"/../etc/shadow", "", true},
		{"/data/../../etc", "", true},
		{"/up/etc/shadow", "", true},
		{"/deep", "", true},
	}
	for _, tt := range tests {
		got, err := r.Resolve(tt.path, tt.path == "/rel" || tt.path == "/deep")
		if tt.escape != errors.Is(err, ErrEscape) || got != tt.want {
			t.Errorf("Resolve(%q) = %q, %v", tt.path, got, err)
		}
	}
	if got, err := r.Resolve("/abs", true); err != nil || got != "/data/sub" {
		t.Errorf("Resolve(/abs, follow) = %q, %v", got, err)
	}
	if _, err := r.Resolve("data", false); err == nil {
		t.Error("a relative path resolved")
	}
}

// Issue 13: an archive entry that leaves the destination is refused before anything
// of it is written, and a link in the tree never carries a write outside the root.
func TestExtractStaysInside(t *testing.T) {
	outside := t.TempDir()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	// The host path of the planted link also exists inside the root, where it resolves.
	for _, d := range []string{filepath.Join(root, "dest"), filepath.Join(root, outside)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A link planted in the tree that points at the host directory outside it.
	if err := os.Symlink(outside, filepath.Join(root, "dest", "planted")); err != nil {
		t.Fatal(err)
	}
	r, err := OpenRoot(root, "db")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, name := range []string{"../evil", "/etc/evil", "a/../../evil"} {
		err := r.ExtractTar(archiveOf(t, name, "x"), "/dest", "")
		if !errors.Is(err, ErrEscape) {
			t.Errorf("entry %q: %v, want ErrEscape", name, err)
		}
	}
	if err := r.ExtractTar(archiveOf(t, "planted/file", "x"), "/dest", ""); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("a write through a planted link reached the host: %v", entries)
	}
	if _, err := os.Stat(filepath.Join(root, outside, "file")); err != nil {
		t.Errorf("the write did not land inside the root: %v", err)
	}
}

// archiveOf is a tar stream of one regular file.
func archiveOf(t *testing.T, name, content string) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte(content))
	tw.Close()
	return &buf
}
