package containerdrt

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// docs/spec/runtime.md §5.4 exact format; §17 items 11-12: every resource with both names,
// the second declared resource at .3 on a first up.
func TestProjectFilesContent(t *testing.T) {
	tn := newTestNet(t)
	p := testPlan("shop", "db", "api")
	if err := tn.EnsureNetwork(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tn.opts.DataRoot, "projects", "shop")
	hosts, err := os.ReadFile(filepath.Join(dir, "hosts"))
	if err != nil {
		t.Fatal(err)
	}
	want := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"10.213.0.2\tdb shop_db\n10.213.0.3\tapi shop_api\n"
	if string(hosts) != want {
		t.Errorf("hosts =\n%q\nwant\n%q", hosts, want)
	}
	for _, n := range p.Nodes {
		name, err := os.ReadFile(n.Spec.HostnamePath)
		if err != nil || string(name) != n.Name+"\n" {
			t.Errorf("%s hostname file %q: %q, %v", n.Name, n.Spec.HostnamePath, name, err)
		}
		if n.Spec.HostsPath != filepath.Join(dir, "hosts") || n.Spec.ResolvConfPath != filepath.Join(dir, "resolv.conf") {
			t.Errorf("%s paths: %q %q", n.Name, n.Spec.HostsPath, n.Spec.ResolvConfPath)
		}
		st, err := os.Stat(n.Spec.HostsPath)
		if err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("hosts mode %v, %v", st.Mode(), err)
		}
	}
}

// docs/spec/runtime.md §1.2: bind-mounted files are rewritten in place (same inode, never
// renamed), and left alone when unchanged.
func TestRewriteInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hosts")
	inode := func() uint64 {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Sys().(*syscall.Stat_t).Ino
	}
	steps := []struct{ content string }{
		{"a long first version of the file\n"},
		{"short\n"},
		{"short\n"},
		{"a longer third version\n"},
	}
	var first uint64
	for i, s := range steps {
		if i == 2 {
			// unchanged content must not be written: make the file read-only to prove it
			if err := os.Chmod(path, 0o444); err != nil {
				t.Fatal(err)
			}
		}
		if err := rewriteInPlace(path, []byte(s.content)); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		got, _ := os.ReadFile(path)
		if string(got) != s.content {
			t.Fatalf("step %d: content %q, want %q", i, got, s.content)
		}
		if i == 0 {
			first = inode()
		} else if inode() != first {
			t.Fatalf("step %d: inode changed: the file was replaced, not rewritten", i)
		}
	}
}
