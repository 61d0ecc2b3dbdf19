package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func diagCode(err error) string {
	var de *DiagnosticError
	if errors.As(err, &de) {
		return de.Code
	}
	return ""
}

// §29.1-4: discovery.
func TestDiscover_29_1_4(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "p")
	sub := filepath.Join(p, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	// §29.4: nothing up to the root of the temporary tree. The real filesystem root may
	// hold a manifest on some machine, so only assert when it does not.
	if _, err := Discover(sub); err != nil {
		if diagCode(err) != "manifest-not-found" || !strings.Contains(err.Error(), sub) {
			t.Errorf("§29.4: %v", err)
		}
	}
	// §29.2: .yaml only.
	writeFile(t, filepath.Join(p, "lightshuttle.yaml"), minimalManifest)
	if got, err := Discover(sub); err != nil || got != filepath.Join(p, "lightshuttle.yaml") {
		t.Errorf("§29.2: %q, %v", got, err)
	}
	// §29.3: both in /p, even though a subdirectory has neither.
	writeFile(t, filepath.Join(p, "lightshuttle.yml"), minimalManifest)
	if _, err := Discover(sub); diagCode(err) != "manifest-ambiguous" {
		t.Errorf("§29.3: %v", err)
	}
	// §29.1: .yml only, found from /p/a/b, manifest directory /p.
	if err := os.Remove(filepath.Join(p, "lightshuttle.yaml")); err != nil {
		t.Fatal(err)
	}
	m, _, ds := Load(LoadOptions{Dir: sub, LookupEnv: noEnv})
	expectCodes(t, ds)
	if m.Dir != p || m.Path != filepath.Join(p, "lightshuttle.yml") || m.File != "../../lightshuttle.yml" {
		t.Errorf("§29.1: dir %q path %q file %q", m.Dir, m.Path, m.File)
	}
	// A directory with the manifest's name is not a manifest.
	if err := os.Mkdir(filepath.Join(sub, "lightshuttle.yml"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, _ := Discover(sub); got != filepath.Join(p, "lightshuttle.yml") {
		t.Errorf("a directory was taken for a manifest: %q", got)
	}
}

// §29.5: explicit --file.
func TestExplicitFile_29_5(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "other.yml"), minimalManifest)
	m, _, ds := Load(LoadOptions{File: "other.yml", Dir: dir, LookupEnv: noEnv})
	expectCodes(t, ds)
	if m.File != "other.yml" || m.Dir != dir {
		t.Errorf("file %q dir %q", m.File, m.Dir)
	}
	_, _, ds = Load(LoadOptions{File: "missing.yml", Dir: dir, LookupEnv: noEnv})
	if d := expectCodes(t, ds, "manifest-unreadable"); !strings.Contains(d.Message, "cannot read manifest missing.yml") {
		t.Errorf("message = %q", d.Message)
	}
	_, _, ds = Load(LoadOptions{File: ".", Dir: dir, LookupEnv: noEnv})
	expectCodes(t, ds, "manifest-unreadable")
}

// §29.84-86 and §25: dotenv files through Load.
func TestLoadEnv_29_84_86(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "lightshuttle.yml"), minimalManifest)
	load := func(envFile string) (*Env, Diagnostics) {
		_, env, ds := Load(LoadOptions{Dir: dir, EnvFile: envFile, LookupEnv: func(n string) (string, bool) {
			return map[string]string{"API": "from-shell", "SHELL_ONLY": "s"}[n], n == "API" || n == "SHELL_ONLY"
		}})
		return env, ds
	}
	writeFile(t, filepath.Join(dir, ".env"), "API=from-file\nEMPTY=\n")
	env, ds := load("")
	expectCodes(t, ds)
	if v, _ := env.Lookup("API"); v != "from-file" || env.Source("API") != ".env" || env.Source("SHELL_ONLY") != "env" {
		t.Errorf("§29.61 precedence: %q %q", v, env.Source("API"))
	}
	if env.DotenvPath() != filepath.Join(dir, ".env") {
		t.Errorf("dotenv path = %q", env.DotenvPath())
	}
	writeFile(t, filepath.Join(dir, ".env"), "OK=1\nJUST_A_WORD\n")
	env, ds = load("")
	d := expectCodes(t, ds, "env-file-syntax")
	if env != nil || !strings.HasPrefix(d.Message, ".env:2: ") {
		t.Errorf("§29.84: env %v, message %q", env, d.Message)
	}
	writeFile(t, filepath.Join(dir, "bad.env"), "=v\n")
	_, ds = load("bad.env")
	if d := expectCodes(t, ds, "env-file-syntax"); !strings.Contains(d.Message, "empty key") || !strings.HasPrefix(d.Message, "bad.env:1: ") {
		t.Errorf("§29.84 empty key: %q", d.Message)
	}
	m, env, ds := Load(LoadOptions{Dir: dir, EnvFile: "nope.env"})
	if d := expectCodes(t, ds, "env-file-not-found"); m != nil || env != nil || d.Message != "env file nope.env does not exist" {
		t.Errorf("§29.85: %q", d.Message)
	}
	// Issue 15 (replaces §29.86): a .env in the CWD but not in the manifest directory is
	// read, with a warning naming it; one beside the manifest wins without a warning.
	cwd := filepath.Join(dir, "sub")
	writeFile(t, filepath.Join(cwd, ".env"), "ONLY_CWD=1\n")
	os.Remove(filepath.Join(dir, ".env"))
	_, env, ds = Load(LoadOptions{Dir: cwd, LookupEnv: noEnv})
	d = expectCodes(t, ds, "env-file-fallback")
	cwdEnv := filepath.Join(cwd, ".env")
	if d.Severity != SeverityWarning || !strings.HasPrefix(d.Message, "reading "+cwdEnv+" from the current directory: ../.env beside the manifest does not exist") {
		t.Errorf("fallback warning = %+v", d)
	}
	if v, ok := env.Lookup("ONLY_CWD"); !ok || v != "1" || env.DotenvPath() != cwdEnv {
		t.Errorf("the CWD's .env was not read: %q %v, path %q", v, ok, env.DotenvPath())
	}
	writeFile(t, filepath.Join(dir, ".env"), "BESIDE=1\n")
	_, env, ds = Load(LoadOptions{Dir: cwd, LookupEnv: noEnv})
	expectCodes(t, ds)
	if _, ok := env.Lookup("ONLY_CWD"); ok {
		t.Errorf("the CWD's .env was read although the manifest directory has one")
	}
}

// §25: resolution order and empty values.
func TestEnvResolution(t *testing.T) {
	process := map[string]string{"API": "from-shell", "LOG": "", "P": "p"}
	lookup := func(n string) (string, bool) { v, ok := process[n]; return v, ok }
	env := NewEnv("/x/.env", map[string]string{"API": "", "F": "f"}, lookup)
	tests := []struct {
		name, value, source string
		set                 bool
	}{
		{"API", "", "", false}, // §29.62: an empty dotenv entry hides the process value
		{"F", "f", ".env", true},
		{"P", "p", "env", true},
		{"LOG", "", "", false}, // §29.60: empty counts as unset
		{"NONE", "", "", false},
	}
	for _, tt := range tests {
		v, ok := env.Lookup(tt.name)
		if v != tt.value || ok != tt.set || env.Source(tt.name) != tt.source {
			t.Errorf("%s: (%q, %v, %q), want (%q, %v, %q)", tt.name, v, ok, env.Source(tt.name), tt.value, tt.set, tt.source)
		}
	}
}
