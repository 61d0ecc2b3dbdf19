package harness

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/identifiers"
	"github.com/containerd/containerd/v2/pkg/namespaces"
)

func TestMustRun(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"nothing set", nil, false},
		{"CI set", map[string]string{"CI": "true"}, true},
		{"LSCTL_INTEGRATION=1", map[string]string{"LSCTL_INTEGRATION": "1"}, true},
		{"LSCTL_INTEGRATION=0", map[string]string{"LSCTL_INTEGRATION": "0"}, false},
		{"CI empty", map[string]string{"CI": ""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustRun(func(k string) string { return tt.env[k] })
			if got != tt.want {
				t.Errorf("mustRun(%v) = %v, want %v", tt.env, got, tt.want)
			}
		})
	}
}

// recorder stands in for a test to observe whether unavailable skips or fails it.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Skipf(string, ...any)  { r.skipped = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

// A missing prerequisite skips outside CI and fails in CI (docs/architecture.md testing pyramid item 3:
// in CI a skip is a failure).
func TestUnavailableSkipsOrFails(t *testing.T) {
	tests := []struct {
		name, ci, integration string
		wantFail              bool
	}{
		{"developer machine", "", "", false},
		{"CI", "true", "", true},
		{"LSCTL_INTEGRATION=1", "", "1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			t.Setenv("LSCTL_INTEGRATION", tt.integration)
			r := &recorder{TB: t}
			unavailable(r, "no daemon at %s", "/nonexistent.sock")
			if r.failed != tt.wantFail || r.skipped == tt.wantFail {
				t.Errorf("failed=%v skipped=%v, want failed=%v", r.failed, r.skipped, tt.wantFail)
			}
		})
	}
}

func TestNamespacesAreUniqueAndValid(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		ns := newNamespace()
		if err := identifiers.Validate(ns); err != nil {
			t.Fatalf("namespace %q is not a valid containerd identifier: %v", ns, err)
		}
		if seen[ns] {
			t.Fatalf("namespace %q handed out twice", ns)
		}
		seen[ns] = true
	}
}

// 64 consecutive pools are distinct /22s inside 10.214.0.0/16.
func TestSubnetPoolsAreDisjoint(t *testing.T) {
	outer := netip.MustParsePrefix("10.214.0.0/16")
	seen := map[netip.Prefix]bool{}
	for range 64 {
		p, err := netip.ParsePrefix(nextSubnetPool())
		if err != nil {
			t.Fatal(err)
		}
		if p.Bits() != 22 || !outer.Contains(p.Addr()) || p.Masked() != p {
			t.Fatalf("pool %s is not a /22 inside %s", p, outer)
		}
		if seen[p] {
			t.Fatalf("pool %s handed out twice within 64 calls", p)
		}
		seen[p] = true
	}
}

func TestMaybeGunzip(t *testing.T) {
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write([]byte("layer bytes"))
	_ = w.Close()
	tests := []struct {
		name string
		in   []byte
	}{
		{"gzip", gz.Bytes()},
		{"plain", []byte("layer bytes")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := maybeGunzip(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || string(got) != "layer bytes" {
				t.Fatalf("got %q, %v; want %q", got, err, "layer bytes")
			}
		})
	}
}

func TestImageRefUnknownPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("ImageRef of an unknown image did not panic")
		}
	}()
	ImageRef("nginx")
}

// Against the real test containerd: an Env's namespace and data root exist during the
// test and are gone after it, with an imported image and its unpacked snapshot.
func TestRequireCleansUpAfterTheTest(t *testing.T) {
	var env *Env
	t.Run("inner", func(t *testing.T) {
		env = Require(t)
		if st, err := os.Stat(env.DataRoot); err != nil || !st.IsDir() {
			t.Fatalf("data root %s: %v", env.DataRoot, err)
		}
		if err := os.WriteFile(filepath.Join(env.DataRoot, "state"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := containerd.New(env.Address)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ref := env.ImportImage(t, namespaces.WithNamespace(context.Background(), env.Namespace), c, "busybox")
		if ref != "localhost/lsctl-test/busybox:1" {
			t.Fatalf("ImportImage returned %q", ref)
		}
	})
	if env == nil || t.Failed() {
		return // skipped or failed inside
	}
	if _, err := os.Stat(env.DataRoot); !os.IsNotExist(err) {
		t.Errorf("data root %s still exists after the test (err %v)", env.DataRoot, err)
	}
	c, err := containerd.New(env.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	names, err := c.NamespaceService().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n == env.Namespace {
			t.Errorf("namespace %s still exists after the test", env.Namespace)
		}
	}
}

func TestFlavor(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("LSCTL_TEST_CONTAINERD_ADDRESS", filepath.Join(dir, "containerd.sock"))
	tests := []struct {
		name, env, file, want string
	}{
		{"default", "", "", "v2"},
		{"recorded by provision.sh", "", "debian\n", "debian"},
		{"environment wins", "v2", "debian\n", "v2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("LSCTL_TEST_CONTAINERD_FLAVOR", tt.env)
			_ = os.Remove(filepath.Join(dir, "containerd.flavor"))
			if tt.file != "" {
				if err := os.WriteFile(filepath.Join(dir, "containerd.flavor"), []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if got := flavor(); got != tt.want {
				t.Errorf("flavor() = %q, want %q", got, tt.want)
			}
		})
	}
}
