package manifest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func pgWith(body string) string  { return shopWith("  db:\n    postgres:\n" + body) }
func apiWith(body string) string { return shopWith("  api:\n    container:\n" + body) }

// §29.20-25: postgres structure (defaults such as image names are checked by the plan).
func TestPostgres_29_20_25(t *testing.T) {
	runCodeCases(t, []codeCase{
		{"§29.20 null config", shopWith("  db: {postgres: }\n"), nil},
		{"§29.21 integer version", pgWith("      version: 15\n"), nil},
		{"§29.22 image and version", pgWith("      image: postgres:17\n      version: \"15\"\n"), nil},
		{"§29.23 database 123bad", pgWith("      database: 123bad\n"), []string{"invalid-database-name"}},
		{"§29.23 database 64 chars", pgWith("      database: " + strings.Repeat("a", 64) + "\n"), []string{"invalid-database-name"}},
		{"§29.23 database 63 chars", pgWith("      database: " + strings.Repeat("a", 63) + "\n"), nil},
		{"§29.24 default database api-db", shopWith("  api-db:\n    postgres: {}\n"), nil},
		{"§29.25 quoted port", pgWith("      port: \"5432\"\n"), []string{"type-mismatch"}},
		{"§29.25 port 0", pgWith("      port: 0\n"), []string{"invalid-port"}},
		{"invalid derived image reported on version", pgWith("      version: \"16 beta\"\n"), []string{"invalid-image"}},
		{"blank user", pgWith("      user: \"\"\n"), []string{"empty-value"}},
		{"interpolated database not checked before resolution", pgWith("      database: ${env.DB}\n"), nil},
	})
	m, _ := decodeYAML(t, pgWith("      version: 15\n"))
	if v := m.Resources[0].Postgres.Version; v.Value != "15" || !m.Resources[0].Postgres.Volume.Enabled {
		t.Errorf("version %q, volume %+v", v.Value, m.Resources[0].Postgres.Volume)
	}
}

// §29.27: postgres volume forms.
func TestPostgresVolume_29_27(t *testing.T) {
	runCodeCases(t, []codeCase{
		{"false", pgWith("      volume: false\n"), nil},
		{"pgdata", pgWith("      volume: pgdata\n"), nil},
		{"bad/name", pgWith("      volume: \"bad/name\"\n"), []string{"invalid-volume"}},
		{"yes", pgWith("      volume: yes\n"), []string{"ambiguous-volume-name"}},
		{"list", pgWith("      volume: [a]\n"), []string{"type-mismatch"}},
	})
	m, _ := decodeYAML(t, pgWith("      volume: false\n"))
	if v := m.Resources[0].Postgres.Volume; v.Enabled || !v.Set {
		t.Errorf("volume false = %+v", v)
	}
	m, _ = decodeYAML(t, pgWith("      volume: yes\n"))
	if v := m.Resources[0].Postgres.Volume; !v.Enabled || v.Name != "yes" {
		t.Errorf("volume yes = %+v", v)
	}
}

// §29.28: a partial healthcheck on postgres keeps the default test.
func TestPostgresPartialHealthcheck_29_28(t *testing.T) {
	m, ds := decodeYAML(t, pgWith("      healthcheck: {interval: 1s}\n"))
	expectCodes(t, ds)
	h := m.Resources[0].Healthcheck
	if h == nil || h.TestSet || h.Interval.Value != "1s" {
		t.Errorf("healthcheck = %+v", h)
	}
}

// §29.31-33: container image.
func TestContainerImage_29_31_33(t *testing.T) {
	runCodeCases(t, []codeCase{
		{"§29.31 missing image", apiWith("      ports: [80]\n"), []string{"missing-field"}},
		{"§29.31 null config", shopWith("  api:\n    container:\n"), []string{"missing-field"}},
		{"§29.31 blank image", apiWith("      image: \"  \"\n"), []string{"empty-value"}},
		{"§29.32 untagged", apiWith("      image: alpine\n"), []string{"untagged-image"}},
		{"§29.32 digest", apiWith("      image: alpine@sha256:" + strings.Repeat("a", 64) + "\n"), nil},
		{"§29.33 uppercase", apiWith("      image: Postgres:16\n"), []string{"invalid-image"}},
		{"§29.33 registry port", apiWith("      image: registry.example.com:5000/team/api:1\n"), nil},
		{"§29.33 registry port untagged", apiWith("      image: registry.example.com:5000/team/api\n"), []string{"untagged-image"}},
	})
	_, ds := decodeYAML(t, apiWith("      ports: [80]\n"))
	if d := ds[0]; d.Pos != (Pos{6, 7}) || d.Message != `resources.api.container: missing required field "image"` {
		t.Errorf("missing-field = %s", d)
	}
}

// §29.34 and §29.35: env and secrets.
func TestEnvAndSecrets_29_34_35(t *testing.T) {
	runCodeCases(t, []codeCase{
		{"§29.34 conflict", apiWith("      image: x:1\n      env: {A: x}\n      secrets: {A: y}\n"), []string{"env-key-conflict"}},
		{"§29.35 integer value", apiWith("      image: x:1\n      env: {PORT: 8080}\n"), nil},
		{"§29.35 null value", apiWith("      image: x:1\n      env: {X: null}\n"), []string{"type-mismatch"}},
		{"empty key", apiWith("      image: x:1\n      env: {\"\": x}\n"), []string{"invalid-env-key"}},
		{"= in key", apiWith("      image: x:1\n      secrets: {\"A=B\": x}\n"), []string{"invalid-env-key"}},
	})
	_, ds := decodeYAML(t, apiWith("      image: x:1\n      env: {\"my.key\": null}\n"))
	if d := expectCodes(t, ds, "type-mismatch"); d.Path != `resources.api.container.env["my.key"]` {
		t.Errorf("§0 quoted path = %s", d.Path)
	}
	_, ds = decodeYAML(t, apiWith("      image: x:1\n      env: {A: x}\n      secrets: {A: y}\n"))
	if d := ds[0]; d.Message != `resources.api.container.secrets.A: "A" is declared in both env and secrets` {
		t.Errorf("message = %q", d.Message)
	}
	m, _ := decodeYAML(t, apiWith("      image: x:1\n      env: {PORT: 8080}\n"))
	if e := m.Resources[0].Container.Env; len(e) != 1 || e[0].Value.Value != "8080" {
		t.Errorf("env = %+v", e)
	}
}

// §29.36-38: entrypoint, command, working_dir.
func TestArgvAndWorkingDir_29_36_38(t *testing.T) {
	runCodeCases(t, []codeCase{
		{"§29.36 empty entrypoint", apiWith("      image: x:1\n      entrypoint: []\n"), []string{"empty-entrypoint"}},
		{"§29.36 blank entrypoint", apiWith("      image: x:1\n      entrypoint: \" \"\n"), []string{"empty-entrypoint"}},
		{"§29.36 entrypoint [\"\"]", apiWith("      image: x:1\n      entrypoint: [\"\"]\n"), nil},
		{"§29.37 command []", apiWith("      image: x:1\n      command: []\n"), nil},
		{"§29.37 command string", apiWith("      image: x:1\n      command: echo hi\n"), nil},
		{"blank command", apiWith("      image: x:1\n      command: \"\"\n"), []string{"empty-command"}},
		{"§29.38 relative working_dir", apiWith("      image: x:1\n      working_dir: app\n"), []string{"invalid-working-dir"}},
		{"absolute working_dir", apiWith("      image: x:1\n      working_dir: /app\n"), nil},
	})
	_, ds := decodeYAML(t, apiWith("      image: x:1\n      entrypoint: []\n"))
	if ds[0].Resource != "api" || !strings.Contains(ds[0].Message, "resources.api.") {
		t.Errorf("empty-entrypoint must name the resource: %s", ds[0])
	}
	m, _ := decodeYAML(t, apiWith("      image: x:1\n      command: echo hi\n"))
	if c := m.Resources[0].Container.Command; !c.Shell || len(c.Items) != 1 || c.Items[0].Value != "echo hi" {
		t.Errorf("command = %+v", c)
	}
}

// §29.39 and §29.40: dockerfile context and Dockerfile on disk.
func TestDockerfilePaths_29_39_40(t *testing.T) {
	dir := t.TempDir()
	df := func(body string) string { return shopWith("  web:\n    dockerfile:\n" + body) }
	decode := func(src string) Diagnostics {
		_, ds := Decode("lightshuttle.yml", dir, []byte(src))
		return ds
	}
	expectCodes(t, decode(df("      target: dev\n")), "missing-field")
	d := expectCodes(t, decode(df("      context: ./web\n")), "context-not-found")
	if !strings.Contains(d.Message, filepath.Join(dir, "web")) {
		t.Errorf("message = %q", d.Message)
	}
	if err := os.Mkdir(filepath.Join(dir, "web"), 0o755); err != nil {
		t.Fatal(err)
	}
	d = expectCodes(t, decode(df("      context: ./web\n")), "dockerfile-not-found")
	if !strings.Contains(d.Message, `"`+filepath.Join(dir, "web", "Dockerfile")+`"`) {
		t.Errorf("message = %q", d.Message)
	}
	if err := os.WriteFile(filepath.Join(dir, "web", "Dockerfile"), []byte("FROM x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	expectCodes(t, decode(df("      context: ./web\n")))
	expectCodes(t, decode(df("      context: ./web\n      dockerfile: other.Dockerfile\n")), "dockerfile-not-found")
	expectCodes(t, decode(df("      context: web\n      image: x:1\n")), "unknown-field")
	expectCodes(t, decode(df("      context: \"\"\n")), "empty-value")
}

// Issue 15: a build context may lie outside the manifest directory (a monorepo keeps
// deploy/lightshuttle.yml beside the code), however it is written; it must still exist
// and hold the Dockerfile.
func TestContextOutsideManifestDir(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "project")
	for _, d := range []string{filepath.Join(dir, "web"), filepath.Join(parent, "outside")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "Dockerfile"), []byte("FROM x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	decode := func(ctx string) Diagnostics {
		src := shopWith("  web:\n    dockerfile:\n      context: " + strconv.Quote(ctx) + "\n")
		_, ds := Decode("lightshuttle.yml", dir, []byte(src))
		return ds
	}
	for _, ctx := range []string{"../outside", "./web/../../outside", filepath.Join(parent, "outside"), "..", "./web", filepath.Join(dir, "web")} {
		if ctx == ".." {
			expectCodes(t, decode(ctx), "dockerfile-not-found") // parent has no Dockerfile
			continue
		}
		expectCodes(t, decode(ctx))
	}
	d := expectCodes(t, decode("../missing"), "context-not-found")
	if !strings.Contains(d.Message, strconv.Quote(filepath.Join(parent, "missing"))) {
		t.Errorf("message = %q, want the resolved path", d.Message)
	}
}
