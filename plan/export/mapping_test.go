package export

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// planOf writes text as a manifest in a fresh directory and builds its plan.
func planOf(t *testing.T, text string) *plan.Plan {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "lightshuttle.yml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return loadFile(t, path)
}

// twoServices: api depends on db through interpolation only; tool has no healthcheck.
const twoServices = `project: {name: shop}
resources:
  db:
    postgres: {password: db-secret-1234}
  tool:
    container: {image: "busybox:1.36", ports: [9000]}
  api:
    container:
      image: registry.example.com/acme/api:1.4
      env: {DB: "${resources.db.host}", TOOL: "${resources.tool.host}"}
      secrets: {TOKEN: api-token-0001}
  worker:
    container:
      image: registry.example.com/acme/worker:1.4
      secrets: {TOKEN: worker-token-0002}
`

func TestComposeDurations(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {5 * time.Second, "5s"}, {1500 * time.Millisecond, "1s500ms"}, {90 * time.Second, "1m30s"},
		{2500 * time.Microsecond, "2ms500us"}, {time.Hour + time.Nanosecond, "1h1ns"},
	} {
		if got := composeDuration(tc.d); got != tc.want {
			t.Errorf("composeDuration(%s) = %q, want %q", tc.d, got, tc.want)
		}
		if parsed, err := time.ParseDuration(composeDuration(tc.d)); err != nil || parsed != tc.d {
			t.Errorf("%q parses to %s, %v", composeDuration(tc.d), parsed, err)
		}
	}
}

// Probe periods are whole seconds, never below 1 (issue 7, kubernetes).
func TestProbeSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{{time.Millisecond, 1}, {500 * time.Millisecond, 1}, {time.Second, 1}, {1500 * time.Millisecond, 2}, {90 * time.Second, 90}, {0, 1}} {
		if got := seconds(tc.d, 1); got != tc.want {
			t.Errorf("seconds(%s) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

// TestComposeDependsOn: long form, service_healthy for a dependency with a healthcheck
// and service_started without, including implicit dependencies from interpolation.
func TestComposeDependsOn(t *testing.T) {
	proj := loadCompose(t, writeCase(t, planOf(t, twoServices), TargetCompose))
	deps := proj.Services["api"].DependsOn
	if deps["db"].Condition != "service_healthy" || deps["tool"].Condition != "service_started" || len(deps) != 2 {
		t.Errorf("api depends_on = %+v", deps)
	}
}

// TestComposeSecretVariables: a secret becomes ${KEY}; a key holding different values
// in two services gets the service prefix so that neither value is lost.
func TestComposeSecretVariables(t *testing.T) {
	res := renderCase(t, planOf(t, twoServices), TargetCompose)
	files := fileMap(res)
	compose := files["compose.yaml"]
	for _, want := range []string{"TOKEN: ${API_TOKEN}", "TOKEN: ${WORKER_TOKEN}", "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}", "LSH_DB_PASSWORD: ${LSH_DB_PASSWORD}"} {
		if !strings.Contains(compose, want) {
			t.Errorf("compose.yaml lacks %q", want)
		}
	}
	if !strings.Contains(files[".env.example"], "API_TOKEN=\n") || strings.Contains(compose, "api-token-0001") {
		t.Errorf(".env.example = %q", files[".env.example"])
	}
}

// TestComposeKeepsLiteralText: "$" in user text reaches the container unchanged, and a
// secret inside a command is a variable reference.
func TestComposeKeepsLiteralText(t *testing.T) {
	proj := loadCompose(t, writeCase(t, loadCase(t, "full"), TargetCompose))
	svc := proj.Services["foo-bar"]
	if v := svc.Environment["SHELL_VAR"]; v == nil || *v != "$HOME" {
		t.Errorf("SHELL_VAR = %v", v)
	}
	if cmd := strings.Join(svc.Command, " "); cmd != "sh -c serve --greeting '{{ hi }}' --redis-pass value-of-LSH_CACHE_PASSWORD" {
		t.Errorf("command = %q", cmd)
	}
	if ep := proj.Services["web"].Entrypoint; ep == nil || len(ep) != 0 {
		t.Errorf("web entrypoint = %#v, want an empty list (entrypoint [\"\"] clears it)", ep)
	}
}

// TestOverrides: per-target and per-resource enabled, replicas and image_pull_policy
// (docs/spec/manifest.md §5.3); a disabled resource is dropped from its dependents' order too.
func TestOverrides(t *testing.T) {
	p := planOf(t, twoServices+`export:
  compose:
    resources:
      tool: {enabled: false}
  kubernetes:
    replicas: 3
    image_pull_policy: Never
    resources:
      db: {replicas: 1, image_pull_policy: Always}
      worker: {enabled: false}
  helm:
    replicas: 2
    resources:
      api: {replicas: 4}
`)
	compose := fileMap(renderCase(t, p, TargetCompose))["compose.yaml"]
	if strings.Contains(compose, "tool:") || strings.Contains(compose, "service_started") {
		t.Errorf("tool still in compose:\n%s", compose)
	}
	st, err := newStack(p, TargetKubernetes)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, sv := range st.services {
		got[sv.Name] = sv.PullPolicy + "/" + strconv.Itoa(sv.Replicas)
	}
	if want := map[string]string{"db": "Always/1", "tool": "Never/3", "api": "Never/3"}; !equalMaps(got, want) {
		t.Errorf("kubernetes settings %v, want %v", got, want)
	}
	st, err = newStack(p, TargetHelm)
	if err != nil {
		t.Fatal(err)
	}
	if st.byName["api"].Replicas != 4 || st.byName["db"].Replicas != 2 || st.byName["api"].PullPolicy != "IfNotPresent" {
		t.Errorf("helm api %+v db %+v", st.byName["api"], st.byName["db"])
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Bad input: an override naming a missing resource is the manifest's
// unknown-export-resource error (docs/spec/manifest.md §5.3).
func TestUnknownExportResource(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lightshuttle.yml")
	text := "project: {name: shop}\nresources:\n  db:\n    postgres: {}\nexport:\n  kubernetes:\n    resources:\n      nope: {replicas: 2}\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, diags := manifest.Load(manifest.LoadOptions{File: path, LookupEnv: func(string) (string, bool) { return "", false }})
	found := false
	for _, d := range diags {
		found = found || d.Code == "unknown-export-resource" && d.Severity == manifest.SeverityError
	}
	if !found {
		t.Errorf("diagnostics %v lack the unknown-export-resource error", diags)
	}
}

// TestRenderErrors: settings the target cannot carry are errors that name the field and
// the fix, and nothing is rendered.
func TestRenderErrors(t *testing.T) {
	base := "project: {name: shop}\nresources:\n  db:\n    postgres: {}\n"
	for _, tc := range []struct {
		name, text, target, want string
		edit                     func(*plan.Plan)
	}{
		{"namespace", base + "export: {kubernetes: {namespace: Bad_NS}}\n", TargetKubernetes, "export.kubernetes.namespace", nil},
		{"chart name", base + "export: {helm: {chart_name: My_Chart}}\n", TargetHelm, "export.helm.chart_name", nil},
		{"chart version", base + "export: {helm: {chart_version: v1}}\n", TargetHelm, "export.helm.chart_version", nil},
		{"env key", "project: {name: shop}\nresources:\n  a:\n    container: {image: 'x:1', env: {'A B': v}}\n", TargetKubernetes, `environment key "A B"`, nil},
		{"sentinel", "project: {name: shop}\nresources:\n  a:\n    container: {image: 'x:1', command: [lshtpl0x]}\n", TargetHelm, "reserved by the Helm export", nil},
		{"override of a missing resource", base, TargetCompose, "unknown resource \"ghost\"", func(p *plan.Plan) {
			p.Manifest.Export = &manifest.Export{Compose: manifest.ExportTarget{Resources: []manifest.ExportResource{{Name: "ghost"}}}}
		}},
		{"target", base, "swarm", "unknown export target", nil},
	} {
		p := planOf(t, tc.text)
		if tc.edit != nil {
			tc.edit(p)
		}
		res, err := Render(p, tc.target, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), tc.want) || res != nil {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestRenderNilPlan: a missing plan is an error, not a panic.
func TestRenderNilPlan(t *testing.T) {
	if _, err := Render(nil, TargetCompose, "/x"); err == nil {
		t.Error("no error for a nil plan")
	}
}

// TestKubernetesWarnings: host paths and unreachable host names are reported.
func TestKubernetesWarnings(t *testing.T) {
	res := renderCase(t, loadCase(t, "full"), TargetKubernetes)
	all := strings.Join(res.Warnings, "\n")
	for _, want := range []string{"becomes a hostPath volume", "reachable in the cluster as foo-bar-01efffdd"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
}

// nativeChecks has the http and tcp healthcheck forms (docs/spec/manifest.md §16.1).
const nativeChecks = `project: {name: shop}
resources:
  web:
    container:
      image: "busybox:1.36"
      healthcheck: {http: {port: 8080, path: /healthz, status: 204}, interval: 2s}
  db:
    container:
      image: "busybox:1.36"
      healthcheck: {tcp: 5432}
`

// TestNativeChecksExport: Kubernetes gets httpGet and tcpSocket probes; compose, which
// has no native form, gets wget and nc commands, and both say what they cannot check.
func TestNativeChecksExport(t *testing.T) {
	p := planOf(t, nativeChecks)
	kube := renderCase(t, p, TargetKubernetes)
	all := ""
	for _, f := range kube.Files {
		all += string(f.Data)
	}
	for _, want := range []string{"httpGet:\n", "path: /healthz\n", "port: 8080\n", "tcpSocket:\n", "port: 5432\n", "periodSeconds: 2\n"} {
		if !strings.Contains(all, want) {
			t.Errorf("kubernetes manifests lack %q:\n%s", want, all)
		}
	}
	if w := strings.Join(kube.Warnings, "\n"); !strings.Contains(w, "resource web expects HTTP status 204") {
		t.Errorf("kubernetes warnings: %s", w)
	}
	compose := renderCase(t, p, TargetCompose)
	text := fileMap(compose)["compose.yaml"]
	for _, want := range []string{"wget -q -O /dev/null 'http://127.0.0.1:8080/healthz' || exit 1", "nc -z 127.0.0.1 5432 || exit 1"} {
		if !strings.Contains(text, want) {
			t.Errorf("compose.yaml lacks %q:\n%s", want, text)
		}
	}
	w := strings.Join(compose.Warnings, "\n")
	for _, want := range []string{"resource web: compose has no native http healthcheck; the export runs wget", "not exactly 204", "resource db: compose has no native tcp healthcheck"} {
		if !strings.Contains(w, want) {
			t.Errorf("compose warnings lack %q:\n%s", want, w)
		}
	}
}
