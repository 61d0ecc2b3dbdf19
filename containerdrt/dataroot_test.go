package containerdrt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 12 item 6: a data root other users can reach is tightened when it is lsctl's,
// refused when it holds anything else; a fresh one is 0700.
func TestEnsureDataRoot(t *testing.T) {
	parent := t.TempDir()
	fresh := filepath.Join(parent, "fresh")
	if tightened, err := EnsureDataRoot(fresh); err != nil || tightened {
		t.Fatalf("fresh: %v, %v", tightened, err)
	}
	if st, _ := os.Stat(fresh); st.Mode().Perm() != 0o700 {
		t.Errorf("fresh data root mode %v, want 0700", st.Mode().Perm())
	}
	loose := filepath.Join(parent, "loose")
	for _, d := range []string{"projects/shop", "networks"} {
		if err := os.MkdirAll(filepath.Join(loose, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(loose, "lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(loose, 0o1777); err != nil {
		t.Fatal(err)
	}
	if tightened, err := EnsureDataRoot(loose); err != nil || !tightened {
		t.Fatalf("loose lsctl data root: %v, %v", tightened, err)
	}
	if st, _ := os.Stat(loose); st.Mode().Perm() != 0o700 || st.Mode()&os.ModeSticky != 0 {
		t.Errorf("after tightening: %v", st.Mode())
	}
	if err := os.Chmod(loose, 0o1777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(loose, "planted"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	_, err := EnsureDataRoot(loose)
	if err == nil || !strings.Contains(err.Error(), `holds ["planted"]`) || !strings.Contains(err.Error(), "--data-root") {
		t.Errorf("loose data root with a foreign file: %v", err)
	}
	if st, _ := os.Stat(loose); st.Mode().Perm() != 0o777 {
		t.Errorf("a refused data root was changed: %v", st.Mode())
	}
	for _, mode := range []os.FileMode{0o711, 0o755} {
		old := filepath.Join(parent, mode.String())
		if err := os.Mkdir(old, mode); err != nil {
			t.Fatal(err)
		}
		if tightened, err := EnsureDataRoot(old); err != nil || tightened {
			t.Errorf("%v data root: %v, %v", mode, tightened, err)
		}
	}
}
