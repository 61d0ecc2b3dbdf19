package manifest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// §29.88: dashboard port range.
func TestDashboardPort_29_88(t *testing.T) {
	runCodeCases(t, []codeCase{
		{"port 0", "dashboard: {port: 0}\n" + minimalManifest, []string{"invalid-dashboard-port"}},
		{"port 8090", "dashboard: {port: 8090}\n" + minimalManifest, nil},
		{"quoted", "dashboard: {port: \"8090\"}\n" + minimalManifest, []string{"type-mismatch"}},
	})
	_, ds := decodeYAML(t, "dashboard: {port: 70000}\n"+minimalManifest)
	if ds[0].Message != "dashboard.port: 70000 is outside 1-65535" {
		t.Errorf("message = %q", ds[0].Message)
	}
}

// §29.89 and §5.2-5.3: export and observability sections.
func TestExportAndObservability_29_89(t *testing.T) {
	runCodeCases(t, []codeCase{
		{"ghost", "export:\n  kubernetes:\n    resources:\n      ghost: {replicas: 2}\n" + minimalManifest, []string{"unknown-export-resource"}},
		{"declared", shopWith(dbAndAPI) + "export:\n  kubernetes:\n    namespace: x\n    image_pull_policy: Never\n    resources:\n      db: {enabled: false}\n  helm: {chart_name: c, replicas: 2}\n  compose: {resources: {api: {enabled: true}}}\n", nil},
		{"unknown export key", "export:\n  swarm: {}\n" + minimalManifest, []string{"unknown-field"}},
		{"bad policy", "export:\n  kubernetes: {image_pull_policy: Sometimes}\n" + minimalManifest, []string{"type-mismatch"}},
		{"otel enabled", "observability:\n  otel: {enabled: true}\n" + minimalManifest, nil},
		{"otel endpoint and buffer", "observability:\n  otel: {endpoint: 'https://otel.example.com/otlp/', buffer: 16}\n" + minimalManifest, nil},
		{"otel endpoint without scheme", "observability:\n  otel: {endpoint: 'otel.example.com:4318'}\n" + minimalManifest, []string{"invalid-otel-endpoint"}},
		{"otel endpoint with query", "observability:\n  otel: {endpoint: 'http://x/?a=1'}\n" + minimalManifest, []string{"invalid-otel-endpoint"}},
		{"otel endpoint not http", "observability:\n  otel: {endpoint: 'grpc://x:4317'}\n" + minimalManifest, []string{"invalid-otel-endpoint"}},
		{"otel buffer too small", "observability:\n  otel: {buffer: 15}\n" + minimalManifest, []string{"invalid-otel-buffer"}},
		{"otel buffer too large", "observability:\n  otel: {buffer: 100001}\n" + minimalManifest, []string{"invalid-otel-buffer"}},
		{"otel buffer string", "observability:\n  otel: {buffer: many}\n" + minimalManifest, []string{"type-mismatch"}},
		{"otel unknown key", "observability:\n  otel: {endpoints: 'http://x'}\n" + minimalManifest, []string{"unknown-field"}},
		{"otel disabled", "observability:\n  otel: {enabled: false}\n" + minimalManifest, nil},
		{"observability unknown key", "observability:\n  prometheus: {}\n" + minimalManifest, []string{"unknown-field"}},
	})
	m, _ := decodeYAML(t, minimalManifest)
	if !m.OTelEnabled() {
		t.Error("OpenTelemetry is off without an observability section")
	}
	m, _ = decodeYAML(t, "observability:\n  otel: {enabled: false, endpoint: 'http://127.0.0.1:4318', buffer: 64}\n"+minimalManifest)
	if m.OTelEnabled() || m.Otel.Endpoint.Value != "http://127.0.0.1:4318" || m.Otel.Buffer.Value != 64 {
		t.Errorf("otel = %+v", m.Otel)
	}
	m, _ = decodeYAML(t, shopWith(dbAndAPI)+"export:\n  helm: {chart_name: c}\n")
	if m.Export == nil || m.Export.Helm.ChartName.Value != "c" || m.ExportNode == nil {
		t.Errorf("export not kept: %+v", m.Export)
	}
}

// §29.90 and §29.91: independent errors are all reported in line order, each with its
// location and field path.
func TestIndependentErrors_29_90_91(t *testing.T) {
	_, ds := decodeYAML(t, shopWith(`  c:
    container: {image: x:1, working_dir: rel}
  a:
    container: {image: x:1, ports: ["80"]}
  b:
    container: {image: x:1, restart: sometimes}
`))
	if len(ds) != 3 {
		t.Fatalf("diagnostics:\n%s", ds.Error())
	}
	for i, want := range []string{"invalid-working-dir", "invalid-port", "invalid-restart"} {
		d := ds[i]
		prefix := fmt.Sprintf("error: lightshuttle.yml:%d:%d: resources.", d.Pos.Line, d.Pos.Column)
		if d.Code != want || d.Pos.IsZero() || !strings.HasPrefix(d.String(), prefix) || d.Path == "" {
			t.Errorf("diagnostic %d = %s (%s), want %s", i, d, d.Code, want)
		}
	}
}

// §29.95: at most 253 resources.
func TestTooManyResources_29_95(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 254; i++ {
		fmt.Fprintf(&b, "  r%d:\n    container: {image: \"x:1\"}\n", i)
	}
	_, ds := decodeYAML(t, shopWith(b.String()))
	if d := expectCodes(t, ds, "too-many-resources"); d.Message != "resources: 254 resources declared; at most 253 are supported" {
		t.Errorf("message = %q", d.Message)
	}
	_, ds = decodeYAML(t, shopWith(strings.Replace(b.String(), "container", "mysql", 1)))
	expectCodes(t, ds, "reserved-kind")
}

// JSONSchema is valid JSON describing the top-level sections.
func TestJSONSchema(t *testing.T) {
	var s struct {
		Schema     string                     `json:"$schema"`
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
		Defs       map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal(JSONSchema(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Schema != "https://json-schema.org/draft/2020-12/schema" || strings.Join(s.Required, ",") != "project,resources" {
		t.Errorf("schema header: %q %v", s.Schema, s.Required)
	}
	for _, f := range topLevelFields {
		if _, ok := s.Properties[f]; !ok {
			t.Errorf("schema lacks %s", f)
		}
	}
	for k, fields := range kindFields {
		var def struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(s.Defs[string(k)], &def); err != nil {
			t.Fatal(err)
		}
		for _, f := range fields {
			if _, ok := def.Properties[f]; !ok {
				t.Errorf("schema %s lacks %s", k, f)
			}
		}
	}
	// Every $ref points at a definition that exists.
	for _, ref := range strings.Split(string(JSONSchema()), `"$ref": "#/$defs/`)[1:] {
		name := ref[:strings.IndexByte(ref, '"')]
		if _, ok := s.Defs[name]; !ok {
			t.Errorf("dangling $ref %s", name)
		}
	}
}

// FieldPath quotes unusual keys (§0) and Interpolated follows the §21.1 scan order.
func TestFieldsAndScanOrder(t *testing.T) {
	if got := FieldPath("resources", "api", "container", "env", "my.key"); got != `resources.api.container.env["my.key"]` {
		t.Errorf("FieldPath = %s", got)
	}
	m, ds := decodeYAML(t, shopWith(`  web:
    dockerfile:
      working_dir: /w
      command: run
      entrypoint: [a, b]
      volumes: ["v:/v"]
      secrets: {S: s}
      env: {Z: z, A: a}
      target: t
      build_args: {B: b}
      dockerfile: D
      context: c
      healthcheck: {test: [NONE]}
`))
	expectCodes(t, ds)
	var got []string
	for _, f := range m.Resources[0].Interpolated() {
		got = append(got, strings.TrimPrefix(f.Path, "resources.web.dockerfile.")+map[bool]string{true: "!"}[f.Secret])
	}
	want := "context dockerfile build_args.B target env.Z env.A secrets.S! volumes[0] entrypoint[0] entrypoint[1] command working_dir healthcheck.test[0]"
	if strings.Join(got, " ") != want {
		t.Errorf("scan order:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	m, _ = decodeYAML(t, pgWith("      password: p\n      user: u\n      healthcheck: {test: [CMD, x]}\n"))
	got = nil
	for _, f := range m.Resources[0].Interpolated() {
		got = append(got, f.Path)
	}
	if strings.Join(got, " ") != "resources.db.postgres.user resources.db.postgres.password resources.db.postgres.healthcheck.test[0] resources.db.postgres.healthcheck.test[1]" {
		t.Errorf("postgres order: %v", got)
	}
	if got := Properties(KindRedis); strings.Join(got, ",") != "host,port,password,url" {
		t.Errorf("redis properties %v", got)
	}
}

// §29.49: a relative host path is valid and resolves against the manifest directory,
// whatever the current directory (the mount itself is the plan's).
func TestRelativeHostPath_29_49(t *testing.T) {
	m, ds := Decode("lightshuttle.yml", "/p", []byte(apiWith("      image: x:1\n      volumes: [\"./config:/etc/app\"]\n")))
	expectCodes(t, ds)
	vm, err := ParseVolume(m.Resources[0].Container.Volumes[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ResolveHostPath(m.Dir, vm.Source); err != nil || got != "/p/config" {
		t.Errorf("resolved %q, %v", got, err)
	}
}

// §29.87, §29.92, §29.93 (validation part): unset variables do not fail validation; the
// manifest gives the project name and resource count; an invalid one has errors.
func TestValidateOutcome_29_87_92_93(t *testing.T) {
	m, ds := decodeYAML(t, shopWith(dbAndAPI+"      env: {T: \"${env.API_TOKEN}\"}\n  cache:\n    redis: {}\n"))
	expectCodes(t, ds)
	if m.Project.Name.Value != "shop" || len(m.Resources) != 3 {
		t.Errorf("project %q with %d resources", m.Project.Name.Value, len(m.Resources))
	}
	m, ds = decodeYAML(t, "project: {name: shop}\nresources: [a]\n")
	if m != nil || len(ds.Errors()) == 0 {
		t.Errorf("unreadable resources: manifest %v, diags %v", m, ds)
	}
}

// Null optional sections are absent (§1.3).
func TestNullSections(t *testing.T) {
	m, ds := decodeYAML(t, "dashboard:\nobservability:\nexport:\n"+minimalManifest)
	expectCodes(t, ds)
	if m.Dashboard != nil || m.Observability != nil || m.Export != nil {
		t.Errorf("null sections kept: %+v %+v %+v", m.Dashboard, m.Observability, m.Export)
	}
}

// §1.3: the alias expansion bound is 10,000 nodes.
func TestAliasExpansionBound(t *testing.T) {
	// Anchor a list of 99 scalars (100 nodes with the list) and alias it n times.
	list := "x-a: &a [" + strings.Repeat("1, ", 98) + "1]\n"
	src := func(n int) string {
		return list + "x-b: [" + strings.Repeat("*a, ", n-1) + "*a]\n" + minimalManifest
	}
	_, ds := decodeYAML(t, src(100))
	expectCodes(t, ds)
	_, ds = decodeYAML(t, src(101))
	if d := expectCodes(t, ds, "yaml-syntax"); !strings.Contains(d.Message, "too many aliases") || d.Pos.IsZero() {
		t.Errorf("diagnostic = %s", d)
	}
}
