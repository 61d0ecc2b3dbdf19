package plan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docs/spec/runtime.md §8.1, §17 item 4: 24 characters of the 57-character alphabet.
func TestGeneratePassword(t *testing.T) {
	if len(passwordAlphabet) != 57 || strings.ContainsAny(passwordAlphabet, "0O1Il") {
		t.Fatalf("alphabet %q", passwordAlphabet)
	}
	seen := map[rune]bool{}
	prev := ""
	for i := 0; i < 200; i++ {
		p, err := GeneratePassword()
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != 24 || strings.Trim(p, passwordAlphabet) != "" {
			t.Fatalf("password %q: want 24 characters of the alphabet", p)
		}
		if p == prev {
			t.Fatalf("two equal passwords in a row: %q", p)
		}
		prev = p
		for _, c := range p {
			seen[c] = true
		}
	}
	// 4800 uniform draws from 57 symbols miss one with probability ~57*(56/57)^4800 ≈ 0.
	if len(seen) != 57 {
		t.Errorf("only %d of 57 characters drawn", len(seen))
	}
}

// docs/spec/runtime.md §8.2, §17 item 5: store, reuse, permissions, removal.
func TestFileSecrets(t *testing.T) {
	root := t.TempDir()
	s, err := OpenSecrets(root, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Password("db"); ok {
		t.Fatal("empty store has a password")
	}
	path := filepath.Join(root, "projects", "shop", "secrets.json")
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("OpenSecrets wrote %s", path)
	}
	changed, err := s.Ensure([]string{"db", "db"})
	if err != nil || !changed {
		t.Fatalf("Ensure = %v, %v", changed, err)
	}
	first, _ := s.Password("db")
	if changed, err := s.Ensure([]string{"db"}); err != nil || changed {
		t.Fatalf("second Ensure = %v, %v; want no change", changed, err)
	}
	assertMode(t, path, 0o600)
	assertMode(t, filepath.Dir(path), 0o700)
	var f secretsFile
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &f); err != nil || f.Version != 1 || f.Project != "shop" || f.Resources["db"].Password != first {
		t.Fatalf("file = %s (%v)", data, err)
	}
	if _, err := s.Ensure([]string{"db2"}); err != nil {
		t.Fatal(err)
	}
	again, err := OpenSecrets(root, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := again.Password("db"); p != first {
		t.Errorf("password not reused: %q then %q", first, p)
	}
	if p, ok := again.Password("db2"); !ok || p == first {
		t.Errorf("db2 = %q, %v", p, ok)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".secrets.json.tmp-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	if err := again.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := again.Remove(); err != nil {
		t.Errorf("second Remove: %v", err)
	}
	fresh, _ := OpenSecrets(root, "shop")
	if _, err := fresh.Ensure([]string{"db"}); err != nil {
		t.Fatal(err)
	}
	if p, _ := fresh.Password("db"); p == first {
		t.Error("same password after Remove")
	}
}

func TestFileSecretsLoosePermissionsAndBadFiles(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "projects", "shop")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "secrets.json")
	write := func(s string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"version":1,"project":"shop","resources":{"db":{"password":"abcdabcdabcdabcdabcdabcd"}}}`, 0o644)
	s, err := OpenSecrets(root, "shop")
	if err != nil {
		t.Fatal(err)
	}
	assertMode(t, path, 0o600)
	if w := s.Warnings(); len(w) != 1 || !strings.Contains(w[0], "corrected to 0600") || strings.Contains(w[0], "abcd") {
		t.Errorf("warnings = %q", w)
	}
	if p, _ := s.Password("db"); p != "abcdabcdabcdabcdabcdabcd" {
		t.Errorf("password = %q", p)
	}
	for _, bad := range []string{`{"version":1,"resources":`, `{"version":2,"resources":{}}`} {
		write(bad, 0o600)
		if _, err := OpenSecrets(root, "shop"); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("OpenSecrets(%s) err = %v, want an error naming the file", bad, err)
		}
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s mode %#o, want %#o", path, got, want)
	}
}
