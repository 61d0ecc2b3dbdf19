package manifest

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// envOf builds a lookup over a fixed environment. Empty values are reported as set so
// that the tests also prove the template itself treats empty as unset (§21.5).
func envOf(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// resourcesOf answers resource outputs like the plan does for §21.7's api resource.
func resourcesOf(res, prop string) (string, bool) {
	switch res + "." + prop {
	case "api.host":
		return "api", true
	case "db.host":
		return "db", true
	case "db.url":
		return "postgres://app:p%40ss@db:5432/shop", true
	}
	return "", false
}

// mustParse parses s or fails the test.
func mustParse(t testing.TB, s string) *Template {
	t.Helper()
	tpl, err := ParseTemplate(s)
	if err != nil {
		t.Fatalf("ParseTemplate(%q): %v", s, err)
	}
	return tpl
}

// nested builds n nested env references: ${env.Vn:-${env.Vn-1:-...${env.V1:-x}...}}.
func nested(n int) string {
	s := "x"
	for i := 1; i <= n; i++ {
		s = "${env.V" + strings.Repeat("I", i) + ":-" + s + "}"
	}
	return s
}

// TestResolveExamples covers every row of the §21.7 table and checklist items 60, 63,
// 65, 72 and 73. The environment is LOG=debug, EMPTY= (set to empty), X unset.
func TestResolveExamples(t *testing.T) {
	env := envOf("LOG", "debug", "EMPTY", "")
	tests := []struct {
		in      string
		env     func(string) (string, bool)
		want    string
		missing []string
	}{
		{"level=${env.LOG}", env, "level=debug", nil},
		{"level=${env.X:-info}", env, "level=info", nil},     // §29 item 60 (unset)
		{"level=${env.EMPTY:-info}", env, "level=info", nil}, // §29 item 60 (empty)
		{"level=${env.LOG:-info}", env, "level=debug", nil},  // §29 item 60 (set)
		{"${env.X:-${env.Y:-fallback}}", env, "fallback", nil},
		{"${env.X:-${env.Y:-fallback}}", envOf("Y", "why"), "why", nil},
		{"${env.LOG:-${env.X}}", env, "debug", nil}, // X not required
		{"${env.X:-${env.LOG}}", env, "debug", nil},
		{"${env.X}", env, "", []string{"X"}},
		{"${env.EMPTY}", env, "", []string{"EMPTY"}},
		{"${env.X:-}", env, "", nil},
		{"http://${resources.api.host}:8080", env, "http://api:8080", nil},
		{"${{not.interpolated}}", env, "${not.interpolated}", nil}, // §29 item 65
		{"literal ${{ env.X }} kept", env, "literal ${ env.X } kept", nil},
		{"${{ env.X }}", env, "${ env.X }", nil}, // §29 item 65
		{"${env.X:-${{lit}}}", env, "${lit}", nil},
		{"echo $HOME $$", env, "echo $HOME $$", nil}, // §29 item 65
		{"a$", env, "a$", nil},
		{"}{", env, "}{", nil},
		{"${secret.API_KEY}", env, "${secret.API_KEY}", nil},  // §29 item 73
		{"${env.A:-${env.B}}", envOf("A", "1"), "1", nil},     // §29 item 63
		{"${env.A:-${env.B}}", nil, "", []string{"B"}},        // §29 item 64
		{"${env.P}", envOf("P", "${env.X}"), "${env.X}", nil}, // §29 item 72: no re-scan
		{"${env.X}-${env.Z}-${env.X}", env, "--", []string{"X", "Z"}},
		{"${resources.db.url}?x=${env.LOG}", env, "postgres://app:p%40ss@db:5432/shop?x=debug", nil},
		{"${resources.nope.url}", env, "${resources.nope.url}", nil},
		{"", env, "", nil},
		{"plain", env, "plain", nil},
	}
	for _, tt := range tests {
		tpl := mustParse(t, tt.in)
		got, missing := tpl.Resolve(Resolver{Env: tt.env, Resource: resourcesOf})
		if !slices.Equal(missing, tt.missing) || (len(tt.missing) == 0 && got != tt.want) {
			t.Errorf("Resolve(%q) = %q, missing %v; want %q, missing %v", tt.in, got, missing, tt.want, tt.missing)
		}
		if tpl.Raw() != tt.in {
			t.Errorf("Raw() = %q; want %q", tpl.Raw(), tt.in)
		}
	}
}

// TestParseTemplateErrors covers every row of the §21.3 table that is a syntax error,
// the depth rule of §21.4 and checklist items 66-68. The name checks of the last three
// rows (unknown resource, property, self reference) belong to the validator.
func TestParseTemplateErrors(t *testing.T) {
	tests := []struct{ in, code, reason string }{
		{"${env.X", tmplCodeSyntax, reasonUnterminatedRef}, // §29 item 66
		{"a ${env.X:-${env.Y}", tmplCodeSyntax, reasonUnterminatedRef},
		{"${", tmplCodeSyntax, reasonUnterminatedRef},
		{"${{abc", tmplCodeSyntax, reasonUnterminatedEscape},
		{"${{abc}", tmplCodeSyntax, reasonUnterminatedEscape},
		{"${env.X:-${{abc}", tmplCodeSyntax, reasonUnterminatedEscape},
		{"${foo.bar}", tmplCodeSyntax, reasonUnknownScheme}, // §29 item 66
		{"${ env.X }", tmplCodeSyntax, reasonUnknownScheme},
		{"${X}", tmplCodeSyntax, reasonUnknownScheme},
		{"${}", tmplCodeSyntax, reasonUnknownScheme},
		{"${secrets.X}", tmplCodeSyntax, reasonUnknownScheme},
		{"${resources.db}", tmplCodeSyntax, reasonNoProperty},
		{"${resources..url}", tmplCodeSyntax, reasonEmptyResourcePart},
		{"${resources.db.}", tmplCodeSyntax, reasonEmptyResourcePart},
		{"${resources.}", tmplCodeSyntax, reasonEmptyResourcePart},
		{"${resources.${env.R}.host}", tmplCodeSyntax, reasonNesting}, // §29 item 67
		{"${env.${env.N}}", tmplCodeSyntax, reasonNesting},
		{"${env.A${env.B}:-x}", tmplCodeSyntax, reasonNesting},
		{"${env.}", tmplCodeSyntax, reasonBadVarName},
		{"${env.1X}", tmplCodeSyntax, reasonBadVarName},
		{"${env.A-B}", tmplCodeSyntax, reasonBadVarName},
		{"${env.X:=y}", tmplCodeSyntax, reasonBadVarName},
		{"${env.X:-${env.1}}", tmplCodeSyntax, reasonBadVarName},
		{nested(11), tmplCodeTooDeep, reasonTooDeep}, // §29 item 68
		{"ok ${env.A:-" + nested(10) + "}", tmplCodeTooDeep, reasonTooDeep},
	}
	for _, tt := range tests {
		tpl, err := ParseTemplate(tt.in)
		var te *TemplateError
		if !errors.As(err, &te) || tpl != nil {
			t.Errorf("ParseTemplate(%q) = %v, %v; want *TemplateError", tt.in, tpl, err)
			continue
		}
		if te.Code != tt.code || te.Reason != tt.reason || te.Error() != tt.reason {
			t.Errorf("ParseTemplate(%q) = {%s %q}; want {%s %q}", tt.in, te.Code, te.Reason, tt.code, tt.reason)
		}
	}
}

// TestParseTemplateDepth checks §21.4: ten nested references are accepted, escapes and
// reserved references do not count (checklist item 68).
func TestParseTemplateDepth(t *testing.T) {
	for _, s := range []string{
		nested(10),
		strings.Replace(nested(10), ":-x}", ":-${{deep}}}", 1),
		strings.Replace(nested(10), ":-x}", ":-${secret.S}}", 1),
	} {
		tpl := mustParse(t, s)
		if got, missing := tpl.Resolve(Resolver{}); len(missing) != 0 || strings.Contains(got, "env.") {
			t.Errorf("Resolve(%q) = %q, %v", s, got, missing)
		}
	}
}

// TestResourceRefs checks the §22.1 order (checklist items 74 and 75): left to right,
// defaults included whether or not they are used.
func TestResourceRefs(t *testing.T) {
	tpl := mustParse(t, "${resources.web.host} ${env.X:-${resources.db.host}:${env.Y:-${resources.cache.port}}} ${resources.db.url} ${{resources.no.x}} ${secret.resources.no}")
	want := []ResourceRef{{"web", "host"}, {"db", "host"}, {"cache", "port"}, {"db", "url"}}
	if got := tpl.ResourceRefs(); !slices.Equal(got, want) {
		t.Errorf("ResourceRefs() = %v; want %v", got, want)
	}
	if got := mustParse(t, "${env.A} plain").ResourceRefs(); got != nil {
		t.Errorf("ResourceRefs() without references = %v", got)
	}
}

// TestSecretRefs checks §21.6: reserved references are listed (checklist item 73).
func TestSecretRefs(t *testing.T) {
	tpl := mustParse(t, "${secret.A} ${env.X:-${secret.B.c}} ${{secret.no}}")
	want := []string{"${secret.A}", "${secret.B.c}"}
	if got := tpl.SecretRefs(); !slices.Equal(got, want) {
		t.Errorf("SecretRefs() = %q; want %q", got, want)
	}
	if tpl.HasReferences() != true || mustParse(t, "${secret.A} ${{x}}").HasReferences() {
		t.Error("HasReferences must count env and resource references only")
	}
}

// TestEnvUses checks reached-ness for `secrets check` (§25, checklist items 62-64).
func TestEnvUses(t *testing.T) {
	const s = "${env.A:-${env.B}} ${env.C:-${env.D:-d}}"
	use := func(name string, hasDef bool, def string, reached bool) EnvUse {
		return EnvUse{EnvRef{Name: name, HasDefault: hasDef, Default: def}, reached}
	}
	tests := []struct {
		name string
		env  func(string) (string, bool)
		want []EnvUse
	}{
		{"all unset", nil, []EnvUse{
			use("A", true, "${env.B}", true), use("B", false, "", true), // §29 item 64
			use("C", true, "${env.D:-d}", true), use("D", true, "d", true),
		}},
		{"A and C set", envOf("A", "1", "C", "2"), []EnvUse{
			use("A", true, "${env.B}", true), use("B", false, "", false), // §29 item 63: B unused
			use("C", true, "${env.D:-d}", true), use("D", true, "d", false),
		}},
		{"A empty", envOf("A", "", "C", "2"), []EnvUse{ // §29 item 62: empty is unset
			use("A", true, "${env.B}", true), use("B", false, "", true),
			use("C", true, "${env.D:-d}", true), use("D", true, "d", false),
		}},
	}
	tpl := mustParse(t, s)
	for _, tt := range tests {
		if got := tpl.EnvUses(tt.env); !slices.Equal(got, tt.want) {
			t.Errorf("%s: EnvUses() = %+v; want %+v", tt.name, got, tt.want)
		}
	}
	deep := mustParse(t, "${env.A:-${env.B:-${env.C}}}")
	got := deep.EnvUses(envOf("B", "b"))
	if len(got) != 3 || !got[0].Reached || !got[1].Reached || got[2].Reached {
		t.Errorf("C inside the default of a set B must not be reached: %+v", got)
	}
}

// TestResolveEnvOnly checks the `lsctl manifest` resolution (docs/spec/runtime.md §16.9).
func TestResolveEnvOnly(t *testing.T) {
	env := envOf("LOG", "debug", "EMPTY", "", "BAD", "${env.X}", "DOLLAR", "$", "BRACE", "{x}")
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"level=${env.LOG}", "level=debug", true},
		{"level=${env.X:-info}", "level=info", true},
		{"level=${env.EMPTY:-info}", "level=info", true},
		{"${env.X}", "${env.X}", false},
		{"a ${env.X:-${env.Y}} b", "a ${env.X:-${env.Y}} b", false},
		{"http://${resources.api.host}:${env.LOG}", "http://${resources.api.host}:debug", true},
		{"${env.X:-${resources.db.host}}", "${resources.db.host}", true},
		{"${{lit}} ${env.LOG}", "${{lit}} debug", true},
		{"${env.X:-${{lit}}}", "${{lit}}", true},
		{"${secret.S} ${env.LOG}", "${secret.S} debug", true},
		{"plain ${{x}}", "plain ${{x}}", true},
		{"${env.BAD}", "${env.BAD}", false},             // the value would read back as a reference
		{"${env.DOLLAR}{x}", "${env.DOLLAR}{x}", false}, // "$" + "{x}" would form "${x}"
		{"$${env.BRACE}", "$${env.BRACE}", false},       // "$" + "{x}" again
		{"${env.DOLLAR}${{e}}", "$${{e}}", true},        // reads back as "$" and the escape
		{"${env.BRACE}}", "{x}}", true},
	}
	for _, tt := range tests {
		got, ok := mustParse(t, tt.in).ResolveEnvOnly(env)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ResolveEnvOnly(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzParseTemplate checks that parsing never panics and, for templates that parse:
// Raw round-trips; with every variable set and every resource known, resolution requires
// nothing and produces "${" only when the input has escapes or reserved references
// (values are inserted verbatim, §21.5); an env-only resolution that succeeds reads back
// as a template with no env references.
func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{
		"level=${env.LOG}", "${env.X:-${env.Y:-fallback}}", "${{not.interpolated}}",
		"http://${resources.api.host}:8080", "${secret.API_KEY}", "${env.X", nested(10), "echo $HOME $$",
	} {
		f.Add(s)
	}
	all := func(string) (string, bool) { return "v", true }
	anyRes := func(string, string) (string, bool) { return "r", true }
	f.Fuzz(func(t *testing.T, s string) {
		tpl, err := ParseTemplate(s)
		if err != nil {
			var te *TemplateError
			if !errors.As(err, &te) || te.Reason == "" || (te.Code != tmplCodeSyntax && te.Code != tmplCodeTooDeep) {
				t.Fatalf("ParseTemplate(%q) error %#v", s, err)
			}
			return
		}
		if tpl.Raw() != s {
			t.Fatalf("Raw() = %q; want %q", tpl.Raw(), s)
		}
		got, missing := tpl.Resolve(Resolver{Env: all, Resource: anyRes})
		if len(missing) != 0 {
			t.Fatalf("Resolve(%q) with every variable set misses %v", s, missing)
		}
		if strings.Contains(got, "${") && !strings.Contains(s, "${{") && len(tpl.SecretRefs()) == 0 {
			t.Fatalf("Resolve(%q) = %q contains ${ without escapes or reserved references", s, got)
		}
		if out, ok := tpl.ResolveEnvOnly(all); ok {
			back, err := ParseTemplate(out)
			if err != nil || len(back.EnvUses(nil)) != 0 {
				t.Fatalf("ResolveEnvOnly(%q) = %q does not read back without env references: %v", s, out, err)
			}
		}
	})
}

// BenchmarkParseTemplate measures parsing and resolving a typical env value.
func BenchmarkParseTemplate(b *testing.B) {
	r := Resolver{Env: envOf("LOG", "debug"), Resource: resourcesOf}
	for b.Loop() {
		tpl, err := ParseTemplate("postgres://${resources.db.host}:5432/app?log=${env.LOG:-${env.X:-info}}&x=${{raw}}")
		if err != nil {
			b.Fatal(err)
		}
		if _, missing := tpl.Resolve(r); missing != nil {
			b.Fatal(missing)
		}
	}
}

// TestNilTemplate checks that a failed parse's nil template never panics.
func TestNilTemplate(t *testing.T) {
	var tpl *Template
	v, missing := tpl.Resolve(Resolver{})
	e, ok := tpl.ResolveEnvOnly(nil)
	if tpl.Raw() != "" || v != "" || missing != nil || e != "" || !ok || tpl.HasReferences() ||
		tpl.ResourceRefs() != nil || tpl.SecretRefs() != nil || tpl.EnvUses(nil) != nil {
		t.Error("a nil template must behave as the empty string")
	}
}
