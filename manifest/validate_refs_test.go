package manifest

import (
	"strings"
	"testing"
)

const dbAndAPI = "  db:\n    postgres: {}\n  api:\n    container:\n      image: x:1\n"

// §29.69-71: resource references in every interpolated field.
func TestResourceReferences_29_69_71(t *testing.T) {
	runCodeCases(t, []codeCase{
		{"§29.69 env", shopWith(dbAndAPI + "      env: {U: \"${resources.missing.url}\"}\n"), []string{"unknown-resource-reference"}},
		{"§29.69 command", shopWith(dbAndAPI + "      command: [\"${resources.missing.url}\"]\n"), []string{"unknown-resource-reference"}},
		{"§29.69 healthcheck", shopWith(dbAndAPI + "      healthcheck: {test: [CMD, \"${resources.missing.url}\"]}\n"), []string{"unknown-resource-reference"}},
		{"§29.70 unknown property", shopWith(dbAndAPI + "      env: {U: \"${resources.db.uri}\"}\n"), []string{"unknown-property"}},
		{"§29.71 self reference", shopWith(dbAndAPI + "      env: {SELF: \"${resources.api.host}\"}\n"), []string{"self-reference"}},
		{"valid references", shopWith(dbAndAPI + "      secrets: {U: \"${resources.db.url}\", P: \"${env.X:-${resources.db.port}}\"}\n"), nil},
		{"reference inside a default", shopWith(dbAndAPI + "      env: {U: \"${env.X:-${resources.nope.host}}\"}\n"), []string{"unknown-resource-reference"}},
		{"container property on postgres", shopWith(dbAndAPI + "      env: {U: \"${resources.db.ports}\"}\n"), []string{"unknown-property"}},
		{"broken target is not reported twice", shopWith("  db:\n    postgress: {}\n  api:\n    container:\n      image: x:1\n      depends_on: [db]\n      env: {U: \"${resources.db.url}\"}\n"), []string{"unknown-kind"}},
	})
	_, ds := decodeYAML(t, shopWith(dbAndAPI+"      env: {U: \"${resources.db.uri}\"}\n"))
	if d := ds[0]; !strings.Contains(d.Message, `resource "db" (postgres) has no property "uri"; available: host, port, user, password, database, url`) ||
		d.Path != "resources.api.container.env.U" {
		t.Errorf("§29.70 diagnostic = %s", d)
	}
}

// §29.66-68 as reported by validation: syntax errors, and never a secret's text.
func TestInterpolationSyntax(t *testing.T) {
	runCodeCases(t, []codeCase{
		{"unterminated", apiWith("      image: x:1\n      env: {A: \"${env.X\"}\n"), []string{"invalid-interpolation"}},
		{"unknown scheme", apiWith("      image: x:1\n      command: \"echo ${foo.bar}\"\n"), []string{"invalid-interpolation"}},
		{"nesting outside a default", apiWith("      image: x:1\n      working_dir: \"${resources.${env.R}.host}\"\n"), []string{"invalid-interpolation"}},
		{"eleven levels", apiWith("      image: x:1\n      env: {A: \"" + nestedDefaults(11) + "\"}\n"), []string{"interpolation-too-deep"}},
		{"ten levels", apiWith("      image: x:1\n      env: {A: \"" + nestedDefaults(10) + "\"}\n"), nil},
		{"ports are not interpolated", apiWith("      image: x:1\n      ports: [\"${env.P}:80\"]\n"), []string{"invalid-port"}},
	})
	_, ds := decodeYAML(t, apiWith("      image: x:1\n      secrets: {TOKEN: \"hunter2${env.X\"}\n"))
	d := expectCodes(t, ds, "invalid-interpolation")
	if strings.Contains(d.Message, "hunter2") || d.Path != "resources.api.container.secrets.TOKEN" {
		t.Errorf("secret leaked or wrong path: %s", d)
	}
	_, ds = decodeYAML(t, pgWith("      password: \"pw${{oops\"\n"))
	if d := expectCodes(t, ds, "invalid-interpolation"); strings.Contains(d.Message, "pw") {
		t.Errorf("password leaked: %s", d)
	}
}

func nestedDefaults(levels int) string {
	s := "x"
	for i := 1; i <= levels; i++ {
		s = "${env.V" + string(rune('A'+i)) + ":-" + s + "}"
	}
	return s
}

// §29.73: ${secret.*} is a warning, an error under --strict.
func TestReservedScheme_29_73(t *testing.T) {
	_, ds := decodeYAML(t, apiWith("      image: x:1\n      env: {T: \"${secret.TOKEN}\"}\n"))
	d := expectCodes(t, ds, "reserved-scheme")
	if !strings.Contains(d.Message, `"${secret.TOKEN}" is reserved`) || ds.HasErrors() || !ds.Strict().HasErrors() {
		t.Errorf("diagnostic = %s", d)
	}
}

// §29.76 and §29.77: depends_on names.
func TestDependsOn_29_76_77(t *testing.T) {
	_, ds := decodeYAML(t, shopWith(dbAndAPI+"      depends_on: [dbx]\n"))
	if d := expectCodes(t, ds, "unknown-dependency"); !strings.Contains(d.Message, `unknown resource "dbx" (did you mean "db"?)`) {
		t.Errorf("§29.76 message = %q", d.Message)
	}
	_, ds = decodeYAML(t, shopWith(dbAndAPI+"      depends_on: [api]\n"))
	if d := expectCodes(t, ds, "self-dependency"); d.Path != "resources.api.container.depends_on[0]" {
		t.Errorf("§29.77 diagnostic = %s", d)
	}
	m, ds := decodeYAML(t, shopWith(dbAndAPI+"      depends_on: [db, db]\n"))
	expectCodes(t, ds)
	if n := len(m.Resource("api").DependsOn); n != 1 {
		t.Errorf("duplicates must be dropped silently, got %d entries", n)
	}
}
