package plan

import (
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/manifest"
)

// fakeSecrets is a SecretStore backed by a map.
type fakeSecrets map[string]string

func (f fakeSecrets) Password(r string) (string, bool) { p, ok := f[r]; return p, ok }

// decode decodes and validates YAML text as the manifest of dir; it fails the test on
// any validation error, so that plan tests start from a valid manifest.
func decode(t testing.TB, dir, yaml string) *manifest.Manifest {
	t.Helper()
	m, diags := manifest.Decode("lightshuttle.yml", dir, []byte(yaml))
	if diags.HasErrors() || m == nil {
		t.Fatalf("manifest does not validate:\n%s\n--- manifest ---\n%s", diags.Error(), yaml)
	}
	return m
}

// build decodes yaml and builds its plan, failing on any error diagnostic.
func build(t testing.TB, yaml string, o Options) *Plan {
	t.Helper()
	p, diags := Build(decode(t, "/p", yaml), o)
	if diags.HasErrors() || p == nil {
		t.Fatalf("Build failed:\n%s", diags.Error())
	}
	return p
}

// buildDiags decodes yaml and returns Build's diagnostics (the plan may be nil).
func buildDiags(t testing.TB, yaml string, o Options) (*Plan, manifest.Diagnostics) {
	t.Helper()
	return Build(decode(t, "/p", yaml), o)
}

// node returns the named node or fails.
func node(t testing.TB, p *Plan, name string) *Node {
	t.Helper()
	n := p.Node(name)
	if n == nil {
		t.Fatalf("no node %q in plan (nodes: %v)", name, p.Order)
	}
	return n
}

// envMap renders a node's container env as a map.
func envMap(n *Node) map[string]EnvVar {
	out := map[string]EnvVar{}
	for _, v := range n.Spec.Env {
		out[v.Name] = v
	}
	return out
}

// envNames lists a node's container env keys in order.
func envNames(n *Node) []string {
	var out []string
	for _, v := range n.Spec.Env {
		out = append(out, v.Name)
	}
	return out
}

// manifestOf prefixes resources YAML with a project header.
func manifestOf(project, resources string) string {
	return "project:\n  name: " + project + "\nresources:\n" + indent(resources, "  ")
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pre + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// codes lists diagnostic codes in order.
func codes(ds manifest.Diagnostics) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Code)
	}
	return out
}
