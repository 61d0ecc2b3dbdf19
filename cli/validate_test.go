package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// writeManifest writes a lightshuttle.yml (and optional extra files) into a temp dir
// and returns the manifest path.
func writeManifest(t *testing.T, body string, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "lightshuttle.yml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, content := range extra {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

const shopManifest = `project:
  name: shop
resources:
  cache:
    redis: {}
  db:
    postgres: {}
  api:
    container:
      image: registry.example.com/acme/api:1.4
      env:
        TOKEN: ${env.API_TOKEN}
        URL: ${resources.db.url}
`

// docs/spec/manifest.md §29 item 92 and item 87: success prints exactly the ok line, even with
// an unset variable.
func TestValidateOK(t *testing.T) {
	path := writeManifest(t, shopManifest, nil)
	r := run(t, nil, "-f", path, "validate")
	if r.code != 0 || r.stdout != "ok: project `shop` with 3 resource(s)\n" || r.stderr != "" {
		t.Fatalf("got code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}

// docs/spec/manifest.md §29 items 15 and 19: warnings go to stderr and succeed; --strict fails.
func TestValidateWarningsAndStrict(t *testing.T) {
	path := writeManifest(t, "project:\n  name: shop\nresources:\n  api:\n    container:\n      image: alpine:3\n      imgae: x\n", nil)
	r := run(t, nil, "-f", path, "validate")
	if r.code != 0 || !strings.HasPrefix(r.stderr, "warning: "+path+":7:7: resources.api.container.imgae: unknown field") {
		t.Fatalf("plain: code %d stderr %q", r.code, r.stderr)
	}
	if r.stdout != "ok: project `shop` with 1 resource(s)\n" {
		t.Fatalf("plain: stdout %q", r.stdout)
	}
	r = run(t, nil, "-f", path, "validate", "--strict")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "error: "+path+":7:7:") || r.stdout != "" {
		t.Fatalf("strict: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}

// docs/spec/manifest.md §29 item 90: every error, in line order, exit 1.
func TestValidateErrorsText(t *testing.T) {
	path := writeManifest(t, `project:
  name: shop
resources:
  a:
    container:
      image: Bad:1
  b:
    container:
      image: alpine:3
      ports: ["80"]
  c:
    redis:
      restart: sometimes
`, nil)
	r := run(t, nil, "-f", path, "validate")
	if r.code != 1 || r.stdout != "" {
		t.Fatalf("code %d stdout %q", r.code, r.stdout)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	wantCodes := []string{"resources.a.container.image", "resources.b.container.ports[0]", "resources.c.redis.restart"}
	if len(lines) != len(wantCodes) {
		t.Fatalf("stderr:\n%s", r.stderr)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, "error: "+path+":") || !strings.Contains(l, wantCodes[i]) {
			t.Errorf("line %d = %q, want an error about %s", i, l, wantCodes[i])
		}
	}
}

// docs/spec/manifest.md §27.4, §29 item 93.
func TestValidateJSON(t *testing.T) {
	path := writeManifest(t, "project:\n  name: shop\nresources:\n  api:\n    container:\n      image: alpine:3\n      ports: [\"80/tcp\"]\n      imgae: x\n  old:\n    mysql: {}\n", nil)
	r := run(t, nil, "-f", path, "validate", "--format", "json")
	if r.code != 1 || r.stderr != "" {
		t.Fatalf("code %d stderr %q", r.code, r.stderr)
	}
	var rep struct {
		OK        bool             `json:"ok"`
		Project   *string          `json:"project"`
		Resources int              `json:"resources"`
		Errors    []map[string]any `json:"errors"`
		Warnings  []map[string]any `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, r.stdout)
	}
	if rep.OK || rep.Project == nil || *rep.Project != "shop" || rep.Resources != 1 {
		t.Errorf("header = %+v", rep)
	}
	if len(rep.Errors) != 1 || rep.Errors[0]["code"] != "invalid-port" || rep.Errors[0]["path"] != "resources.api.container.ports[0]" ||
		rep.Errors[0]["resource"] != "api" || rep.Errors[0]["file"] != path || rep.Errors[0]["line"] != float64(7) ||
		rep.Errors[0]["severity"] != "error" || strings.HasPrefix(rep.Errors[0]["message"].(string), "resources.") {
		t.Errorf("errors = %v", rep.Errors)
	}
	if len(rep.Warnings) != 2 {
		t.Errorf("warnings = %v, want unknown-field and reserved-kind", rep.Warnings)
	}
	// Under --strict the warnings move to errors with severity error.
	r = run(t, nil, "-f", path, "validate", "--format", "json", "--strict")
	rep.Errors, rep.Warnings = nil, nil
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 3 || len(rep.Warnings) != 0 || rep.Errors[2]["severity"] != "error" {
		t.Errorf("strict: errors %v warnings %v", rep.Errors, rep.Warnings)
	}
}

// docs/spec/manifest.md §27.4: project null and location fields null when not applicable.
func TestValidateJSONNulls(t *testing.T) {
	r := run(t, nil, "-f", filepath.Join(t.TempDir(), "missing.yml"), "validate", "--format", "json")
	if r.code != 1 {
		t.Fatalf("code %d", r.code)
	}
	want := `"project": null`
	if !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, `"line": null`) || !strings.Contains(r.stdout, `"code": "manifest-unreadable"`) {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	ok := run(t, nil, "-f", writeManifest(t, shopManifest, nil), "validate", "--format", "json")
	if ok.code != 0 || !strings.Contains(ok.stdout, `"ok": true`) || !strings.Contains(ok.stdout, `"errors": []`) {
		t.Errorf("valid manifest: code %d\n%s", ok.code, ok.stdout)
	}
}

// Every example manifest validates under --strict (examples/**); the ones this test
// knows also have their project and resource count checked.
func TestExamplesValidate(t *testing.T) {
	known := map[string]string{
		"hello-world": "ok: project `hello` with 2 resource(s)\n",
		"real-world":  "ok: project `shop` with 4 resource(s)\n",
		"postgres":    "ok: project `pg-example` with 1 resource(s)\n",
		"redis":       "ok: project `redis-example` with 1 resource(s)\n",
		"container":   "ok: project `container-example` with 1 resource(s)\n",
		"dockerfile":  "ok: project `build-example` with 1 resource(s)\n",
	}
	okLine := regexp.MustCompile("^ok: project `[a-z][a-z0-9_-]*` with [0-9]+ resource\\(s\\)\n$")
	dirs, err := os.ReadDir("../examples")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		t.Run(d.Name(), func(t *testing.T) {
			r := run(t, nil, "-f", filepath.Join("../examples", d.Name(), "lightshuttle.yml"), "validate", "--strict")
			want, isKnown := known[d.Name()]
			if r.code != 0 || r.stderr != "" || (isKnown && r.stdout != want) || !okLine.MatchString(r.stdout) {
				t.Errorf("code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
			}
		})
		if _, ok := known[d.Name()]; ok {
			seen++
		}
	}
	if seen != len(known) {
		t.Errorf("found %d of the %d known examples", seen, len(known))
	}
}

// docs/spec/manifest.md §29 item 78 through validate: plan errors are reported too, and JSON
// keeps "->" readable.
func TestValidateCycle(t *testing.T) {
	path := writeManifest(t, "project: {name: cyc}\nresources:\n  a:\n    container: {image: 'x:1', depends_on: [b]}\n  b:\n    container: {image: 'x:1', depends_on: [a]}\n", nil)
	r := run(t, nil, "-f", path, "validate")
	if r.code != 1 || r.stderr != "error: "+path+":3:3: resources.a: dependency cycle: a -> b -> a\n" {
		t.Errorf("text: code %d stderr %q", r.code, r.stderr)
	}
	r = run(t, nil, "-f", path, "validate", "--format", "json")
	if r.code != 1 || !strings.Contains(r.stdout, `"message": "dependency cycle: a -> b -> a"`) {
		t.Errorf("json: code %d stdout %s", r.code, r.stdout)
	}
}
