package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docs/spec/runtime.md §17 item 66: a default postgres prints its volume, the full default
// healthcheck, restart "no" and a redacted password.
func TestManifestDefaultPostgres(t *testing.T) {
	path := writeManifest(t, "project:\n  name: shop\nresources:\n  db:\n    postgres: {}\n", nil)
	r := run(t, nil, "--data-root", t.TempDir(), "-f", path, "manifest")
	if r.code != 0 {
		t.Fatalf("code %d stderr %s", r.code, r.stderr)
	}
	want := `# resolved by lsctl ` + buildVersion() + ` from ` + path + `
lightshuttle: v0
project:
  name: shop
resources:
  db:
    postgres:
      version: "16"
      image: docker.io/library/postgres:16-alpine
      database: db
      user: postgres
      password: "<redacted>"
      port: 5432
      volume: shop_db_data
      healthcheck:
        test: [CMD, pg_isready, -h, 127.0.0.1, -p, "5432", -U, postgres, -d, db]
        interval: 5s
        timeout: 3s
        retries: 5
        start_period: 5s
        start_interval: 5s
      depends_on: []
      restart: "no"
`
	if r.stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
	}
}

// docs/spec/runtime.md §17 item 64 and §16.9: --show-secrets reveals a stored generated
// password, or says it is not generated yet; without the flag it never appears.
func TestManifestShowSecrets(t *testing.T) {
	path := writeManifest(t, "project:\n  name: shop\nresources:\n  db:\n    postgres: {}\n", nil)
	root := t.TempDir()
	r := run(t, nil, "--data-root", root, "-f", path, "manifest", "--show-secrets")
	if r.code != 0 || !strings.Contains(r.stdout, `password: "<generated at first up>"`) {
		t.Fatalf("before up: code %d stdout %s stderr %s", r.code, r.stdout, r.stderr)
	}
	const pw = "Abcdefghjkmnpqrstuvwxyz2"
	dir := filepath.Join(root, "projects", "shop")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	doc := `{"version": 1, "project": "shop", "resources": {"db": {"password": "` + pw + `"}}}`
	if err := os.WriteFile(filepath.Join(dir, "secrets.json"), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	r = run(t, nil, "--data-root", root, "-f", path, "manifest", "--show-secrets")
	if r.code != 0 || !strings.Contains(r.stdout, `password: "`+pw+`"`) {
		t.Errorf("after up: code %d stdout %s stderr %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "--data-root", root, "-f", path, "manifest")
	if strings.Contains(r.stdout, pw) || !strings.Contains(r.stdout, `password: "<redacted>"`) {
		t.Errorf("without --show-secrets the password appears:\n%s", r.stdout)
	}
}

// docs/spec/runtime.md §16.9: env references resolve where set, others and resource references
// stay as written; secrets values are redacted; host paths become absolute; the output
// is itself a valid manifest.
func TestManifestResolutionAndRoundTrip(t *testing.T) {
	path := writeManifest(t, `project:
  name: shop
resources:
  db:
    postgres:
      password: ${env.DB_PWD}
  api:
    container:
      image: alpine
      ports: [8080, "0.0.0.0:9090:90"]
      env:
        LEVEL: ${env.LEVEL:-info}
        HOST: ${env.HOST}
        URL: ${resources.db.url}
        ESC: ${{not.interpolated}}
      secrets:
        TOKEN: ${env.TOKEN}
      volumes: ["./data:/data", "cache:/cache", "./conf:/etc/app:ro"]
      command: echo hi
      restart: on-failure
`, nil)
	env := map[string]string{"TOKEN": "tok-value-123", "DB_PWD": "pw-value-456"}
	r := run(t, env, "--data-root", t.TempDir(), "-f", path, "manifest")
	if r.code != 0 {
		t.Fatalf("code %d stderr %s", r.code, r.stderr)
	}
	dir := filepath.Dir(path)
	for _, want := range []string{
		"image: docker.io/library/alpine:latest", `- "127.0.0.1:8080:8080"`, `- "0.0.0.0:9090:90"`,
		"LEVEL: info", "HOST: ${env.HOST}", "URL: ${resources.db.url}", "ESC: ${{not.interpolated}}",
		`TOKEN: "<redacted>"`, "- " + dir + "/data:/data", "- cache:/cache", "- " + dir + "/conf:/etc/app:ro", "command: echo hi",
		`restart: "on-failure"`, "depends_on: [db]",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, secret := range []string{"tok-value-123", "pw-value-456"} {
		if strings.Contains(r.stdout, secret) {
			t.Errorf("secret %q printed without --show-secrets", secret)
		}
	}
	out := filepath.Join(t.TempDir(), "resolved.yml")
	if err := os.WriteFile(out, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if v := run(t, nil, "-f", out, "validate"); v.code != 0 {
		t.Errorf("resolved manifest does not validate: %s", v.stderr)
	}
}

// docs/spec/runtime.md §16.9: dashboard, observability and export are kept as written; reserved
// kinds, unknown fields, hooks and x-* keys are omitted; a dockerfile's paths are absolute.
func TestManifestSectionsAndOmissions(t *testing.T) {
	path := writeManifest(t, `lightshuttle: "v0"
project:
  name: shop
  description: the shop
x-team: payments
hooks: {}
dashboard: {port: 9000}
observability:
  otel: {enabled: false}
export:
  compose:
    resources:
      web: {enabled: true}
resources:
  old:
    mysql: {}
  web:
    dockerfile:
      context: ./web
      imgae: nope
`, map[string]string{"web/Dockerfile": "FROM scratch\n"})
	r := run(t, nil, "--data-root", t.TempDir(), "-f", path, "manifest")
	if r.code != 0 {
		t.Fatalf("code %d stderr %s", r.code, r.stderr)
	}
	dir := filepath.Dir(path)
	for _, want := range []string{"  description: the shop\n", "dashboard:\n  port: 9000\n", "observability:\n  otel: {enabled: false}\n",
		"export:\n  compose:\n", "      context: " + dir + "/web\n", "      dockerfile: " + dir + "/web/Dockerfile\n", "      build_args: {}\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, absent := range []string{"x-team", "hooks", "mysql", "old:", "imgae"} {
		if strings.Contains(r.stdout, absent) {
			t.Errorf("output contains %q:\n%s", absent, r.stdout)
		}
	}
}

// docs/spec/runtime.md §16.9, docs/spec/manifest.md §16.1: the http and tcp forms print as
// written, with their defaults, and the output validates again.
func TestManifestNativeHealthForms(t *testing.T) {
	path := writeManifest(t, `project: {name: shop}
resources:
  web:
    container: {image: alpine, healthcheck: {http: {port: 8080}}}
  db:
    container: {image: alpine, healthcheck: {tcp: 5432, interval: 1s}}
`, nil)
	r := run(t, nil, "--data-root", t.TempDir(), "-f", path, "manifest")
	if r.code != 0 {
		t.Fatalf("code %d stderr %s", r.code, r.stderr)
	}
	for _, want := range []string{"http:\n", "port: 8080\n", "path: /\n", "tcp: 5432\n", "interval: 1s\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "wget") || strings.Contains(r.stdout, "nc -z") {
		t.Errorf("output shows the exported test, not the form:\n%s", r.stdout)
	}
	out := filepath.Join(t.TempDir(), "resolved.yml")
	if err := os.WriteFile(out, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if v := run(t, nil, "-f", out, "validate"); v.code != 0 {
		t.Errorf("resolved manifest does not validate: %s", v.stderr)
	}
}
