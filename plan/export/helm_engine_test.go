package export

import (
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

// renderChart loads the exported chart with Helm's loader and renders it with Helm's
// engine in strict mode; it returns the non-empty rendered documents.
func renderChart(t *testing.T, dir string) map[string]string {
	t.Helper()
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatalf("helm cannot load the chart: %v", err)
	}
	if err := ch.Validate(); err != nil {
		t.Fatalf("chart does not validate: %v", err)
	}
	vals, err := chartutil.ToRenderValues(ch, ch.Values, chartutil.ReleaseOptions{Name: "rel", Namespace: "ns1", IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	out, err := engine.Engine{Strict: true}.Render(ch, vals)
	if err != nil {
		t.Fatalf("helm cannot render the chart: %v", err)
	}
	docs := map[string]string{}
	for name, text := range out {
		if strings.TrimSpace(stripComments(text)) != "" {
			docs[name] = text
		}
	}
	return docs
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// TestHelmChartRenders loads and renders each exported chart with Helm's own packages,
// decodes every rendered object strictly and checks the round trip (issue 7 item 4).
func TestHelmChartRenders(t *testing.T) {
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			p := loadCase(t, name)
			docs := renderChart(t, writeCase(t, p, TargetHelm))
			objs := decodeObjects(t, docs)
			if len(objs.namespaces) != 0 {
				t.Errorf("a chart must not create its namespace")
			}
			for _, d := range objs.deployments {
				if d.Namespace != "ns1" {
					t.Errorf("deployment %s in namespace %q, want the release namespace", d.Name, d.Namespace)
				}
			}
			st, err := newStack(p, TargetHelm)
			if err != nil {
				t.Fatal(err)
			}
			checkRoundTrip(t, st, objs)
		})
	}
}

// TestHelmEscapesTemplateText: user strings holding {{ and }} come out of Helm's engine
// exactly as written instead of running as template code (issue 7 item 3, helm).
func TestHelmEscapesTemplateText(t *testing.T) {
	p := loadCase(t, "full")
	objs := decodeObjects(t, renderChart(t, writeCase(t, p, TargetHelm)))
	d := objs.deployments["foo-bar"]
	if d == nil {
		t.Fatal("no foo-bar deployment")
	}
	args := strings.Join(d.Spec.Template.Spec.Containers[0].Args, " ")
	if !strings.Contains(args, "serve --greeting '{{ hi }}' --redis-pass $(LSH_CACHE_PASSWORD)") {
		t.Errorf("args = %q: template text not preserved", args)
	}
	if got := objs.configMaps["foo-bar-env"].Data["TEMPLATE"]; got != "{{ .Values.evil }} and }}" {
		t.Errorf("TEMPLATE = %q", got)
	}
}
