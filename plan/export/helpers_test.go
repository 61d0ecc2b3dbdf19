package export

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// update regenerates the golden files: go test ./plan/export/ -update (then review the
// diff; goldens are never accepted blindly).
var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// cases are the manifests exported by the golden and engine tests: the worked example
// of docs/spec/manifest.md §28 and a manifest using every field.
var cases = []string{"worked", "full"}

// knownSecrets are the secret values of the test manifests (their .env files and
// secrets: sections): none may appear in any emitted file.
var knownSecrets = []string{"hunter2hunter2", "pg-secret-Pa55word", "redis-secret-pw", "npm-token-123456",
	"s3ss10n-s3cr3t-value", "looks-like-a-key", "generated-Pw-0123456789ab"}

// fakeStore supplies a generated password, as `up` would have stored it.
type fakeStore map[string]string

func (f fakeStore) Password(r string) (string, bool) { v, ok := f[r]; return v, ok }

// loadCase loads testdata/<name>/lightshuttle.yml with its .env and builds its plan.
func loadCase(t testing.TB, name string) *plan.Plan {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return loadFile(t, filepath.Join(dir, "lightshuttle.yml"))
}

// loadFile loads a manifest and builds its plan; generated postgres passwords are
// generated-Pw-0123456789ab.
func loadFile(t testing.TB, path string) *plan.Plan {
	t.Helper()
	m, env, diags := manifest.Load(manifest.LoadOptions{File: path, LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatalf("load %s:\n%s", path, diags.Error())
	}
	secrets := fakeStore{}
	for _, r := range m.Resources {
		secrets[r.Name] = "generated-Pw-0123456789ab"
	}
	p, diags := plan.Build(m, plan.Options{Env: env, Secrets: secrets, RequireEnv: true})
	if diags.HasErrors() || p == nil {
		t.Fatalf("plan %s:\n%s", path, diags.Error())
	}
	return p
}

// renderCase renders a case for a target into its default directory (in memory).
func renderCase(t testing.TB, p *plan.Plan, target string) *Result {
	t.Helper()
	res, err := Render(p, target, filepath.Join(p.ManifestDir, "export", target))
	if err != nil {
		t.Fatalf("render %s: %v", target, err)
	}
	return res
}

// writeCase writes a case's export into a fresh temporary directory and returns it.
func writeCase(t testing.TB, p *plan.Plan, target string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), target)
	if _, err := Write(p, target, dir, false); err != nil {
		t.Fatalf("write %s: %v", target, err)
	}
	return dir
}

// fileMap indexes a result by path.
func fileMap(res *Result) map[string]string {
	out := map[string]string{}
	for _, f := range res.Files {
		out[f.Path] = string(f.Data)
	}
	return out
}

// stable replaces the manifest directory (absolute hostPath volumes) so that goldens do
// not depend on where the repository is checked out.
func stable(p *plan.Plan, s string) string {
	return strings.ReplaceAll(s, p.ManifestDir, "$MANIFEST_DIR")
}

// readGoldens lists the golden files of a case and target.
func readGoldens(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	return out
}
