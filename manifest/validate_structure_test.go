package manifest

import (
	"strings"
	"testing"
)

// codeCase is a manifest and the diagnostic codes it must produce, nothing more.
type codeCase struct {
	name, src string
	codes     []string
}

func runCodeCases(t *testing.T, tests []codeCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := decodeYAML(t, tt.src)
			expectCodes(t, ds, tt.codes...)
		})
	}
}

func projectNamed(name string) string {
	return "project:\n  name: " + name + "\nresources: {}\n"
}

// §29.9: project names.
func TestProjectName_29_9(t *testing.T) {
	runCodeCases(t, []codeCase{
		{"My-App", projectNamed("My-App"), []string{"invalid-project-name"}},
		{"a", projectNamed("a"), nil},
		{"32 characters", projectNamed("a" + strings.Repeat("b", 31)), nil},
		{"33 characters", projectNamed("a" + strings.Repeat("b", 32)), []string{"invalid-project-name"}},
		{"missing project", "resources: {}\n", []string{"missing-field"}},
		{"null project", "project:\nresources: {}\n", []string{"missing-field"}},
		{"missing name", "project:\n  version: 1\nresources: {}\n", []string{"missing-field"}},
		{"null name", "project:\n  name: ~\nresources: {}\n", []string{"missing-field"}},
		{"unknown project key", "project:\n  name: a\n  nmae: b\nresources: {}\n", []string{"unknown-field"}},
	})
}

// §29.10: resource names, with line and column.
func TestResourceName_29_10(t *testing.T) {
	_, ds := decodeYAML(t, shopWith("  1bad:\n    redis: {}\n"))
	d := expectCodes(t, ds, "invalid-resource-name")
	if d.Pos != (Pos{4, 3}) || !strings.HasPrefix(d.String(), "error: lightshuttle.yml:4:3: resources.1bad: invalid resource name \"1bad\"") {
		t.Errorf("diagnostic = %s", d)
	}
}

// §29.11: reserved resource names.
func TestReservedResourceName_29_11(t *testing.T) {
	runCodeCases(t, []codeCase{
		{"localhost", shopWith("  localhost:\n    redis: {}\n"), []string{"reserved-resource-name"}},
		{"ip6-loopback", shopWith("  ip6-loopback:\n    redis: {}\n"), []string{"reserved-resource-name"}},
	})
}

// §29.12: hostname collision between b and a_b in project a.
func TestHostnameCollision_29_12(t *testing.T) {
	_, ds := decodeYAML(t, "project:\n  name: a\nresources:\n  b:\n    redis: {port: 1}\n  a_b:\n    redis: {port: 2}\n")
	d := expectCodes(t, ds, "hostname-collision")
	if d.Resource != "a_b" || !strings.Contains(d.Message, `"a_b" equals the qualified host name of resource "b"`) {
		t.Errorf("diagnostic = %s", d)
	}
}

// §29.13: an entry with two keys names both and suggests moving the field.
func TestResourceKindCount_29_13(t *testing.T) {
	_, ds := decodeYAML(t, shopWith("  api:\n    container: {image: x:1}\n    restart: always\n"))
	d := expectCodes(t, ds, "resource-kind-count")
	for _, want := range []string{`"container"`, `"restart"`, "under the kind key"} {
		if !strings.Contains(d.Message, want) {
			t.Errorf("message %q lacks %s", d.Message, want)
		}
	}
	runCodeCases(t, []codeCase{
		{"empty entry", shopWith("  api: {}\n"), []string{"resource-kind-count"}},
		{"null entry", shopWith("  api:\n"), []string{"resource-kind-count"}},
		{"scalar entry", shopWith("  api: postgres\n"), []string{"type-mismatch"}},
	})
}

// §29.14: unknown kind with a suggestion.
func TestUnknownKind_29_14(t *testing.T) {
	_, ds := decodeYAML(t, shopWith("  db:\n    postgress: {}\n"))
	d := expectCodes(t, ds, "unknown-kind")
	if !strings.Contains(d.Message, `(did you mean "postgres"?)`) || d.Pos != (Pos{5, 5}) {
		t.Errorf("diagnostic = %s", d)
	}
}

// §29.15 and §29.16: reserved kinds warn, are not counted, and cannot be depended on.
func TestReservedKind_29_15_16(t *testing.T) {
	m, ds := decodeYAML(t, shopWith("  legacy:\n    mysql: {anything: [goes]}\n"))
	expectCodes(t, ds, "reserved-kind")
	if ds.HasErrors() || !ds.Strict().HasErrors() || len(m.Resources) != 0 || len(m.Reserved) != 1 {
		t.Errorf("reserved kind: diags %v, resources %d", ds, len(m.Resources))
	}
	runCodeCases(t, []codeCase{
		{"depends_on", shopWith("  that_mysql:\n    mysql: {}\n  api:\n    container:\n      image: x:1\n      depends_on: [that_mysql]\n"),
			[]string{"reserved-kind", "reserved-kind-dependency"}},
		{"reference", shopWith("  that_mysql:\n    mysql: {}\n  api:\n    container:\n      image: x:1\n      env: {H: \"${resources.that_mysql.host}\"}\n"),
			[]string{"reserved-kind", "reserved-kind-dependency"}},
	})
}

// §29.17 and §29.18: reserved, extension and unknown top-level keys.
func TestTopLevelKeys_29_17_18(t *testing.T) {
	runCodeCases(t, []codeCase{
		{"hooks", "hooks: [a]\n" + minimalManifest, []string{"reserved-key"}},
		{"x-anything", "x-anything: {a: [b]}\n" + minimalManifest, nil},
		{"resource instead of resources", "project:\n  name: a\nresource: {}\n", []string{"unknown-field", "missing-field"}},
	})
	_, ds := decodeYAML(t, "project:\n  name: a\nresource: {}\n")
	if d := withCode(ds, "unknown-field")[0]; !strings.Contains(d.Message, `(did you mean "resources"?)`) {
		t.Errorf("message = %q", d.Message)
	}
}

// §29.19: unknown field under a kind, and --strict.
func TestUnknownField_29_19(t *testing.T) {
	_, ds := decodeYAML(t, shopWith("  api:\n    container:\n      image: x:1\n      imgae: y\n"))
	d := expectCodes(t, ds, "unknown-field")
	want := `warning: lightshuttle.yml:7:7: resources.api.container.imgae: unknown field "imgae" is ignored (did you mean "image"?)`
	if d.String() != want {
		t.Errorf("got  %s\nwant %s", d, want)
	}
	if ds.HasErrors() || !ds.Strict().HasErrors() {
		t.Errorf("strict must turn the warning into an error")
	}
}
