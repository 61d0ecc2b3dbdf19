package manifest

import (
	"strconv"
	"strings"
	"testing"
)

const minimalManifest = "project:\n  name: shop\nresources: {}\n"

// §29.6: the discriminator.
func TestVersionDiscriminator_29_6(t *testing.T) {
	tests := []struct {
		name, src string
		codes     []string
	}{
		{"absent", minimalManifest, nil},
		{"v0", "lightshuttle: v0\n" + minimalManifest, nil},
		{"quoted v0", "lightshuttle: \"v0\"\n" + minimalManifest, nil},
		{"v1", "lightshuttle: v1\n" + minimalManifest, []string{"unsupported-version"}},
		{"integer 0 read as text", "lightshuttle: 0\n" + minimalManifest, []string{"unsupported-version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := decodeYAML(t, tt.src)
			expectCodes(t, ds, tt.codes...)
		})
	}
}

// §29.7 and §1.3: documents, emptiness, root type.
func TestDocuments_29_7(t *testing.T) {
	tests := []struct {
		name, src, code string
	}{
		{"two documents", minimalManifest + "---\n" + minimalManifest, "multiple-documents"},
		{"empty file", "", "empty-manifest"},
		{"only comments", "# nothing\n# here\n", "empty-manifest"},
		{"only a separator", "---\n", "empty-manifest"},
		{"root sequence", "- a\n- b\n", "type-mismatch"},
		{"root scalar", "hello\n", "type-mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ds := decodeYAML(t, tt.src)
			expectCodes(t, ds, tt.code)
			if m != nil {
				t.Errorf("manifest returned after a phase 1 error")
			}
		})
	}
}

// §29.8: duplicate keys, including resource names.
func TestDuplicateKey_29_8(t *testing.T) {
	m, ds := decodeYAML(t, shopWith("  db:\n    postgres: {}\n  db:\n    redis: {}\n"))
	d := expectCodes(t, ds, "duplicate-key")
	if d.Pos != (Pos{6, 3}) || !strings.Contains(d.Message, `key "db" is defined twice (first at line 4)`) {
		t.Errorf("diagnostic = %+v", d)
	}
	if len(m.Resources) != 1 || m.Resources[0].Kind != KindPostgres {
		t.Errorf("the first definition must be kept: %+v", m.Resources)
	}
}

// §1.3: BOM, UTF-8, YAML 1.2 booleans and integers decided from the source text.
func TestYAMLCoreRules(t *testing.T) {
	tests := []struct {
		name, src string
		codes     []string
	}{
		{"BOM ignored", "\xef\xbb\xbf" + minimalManifest, nil},
		{"invalid UTF-8", "project:\n  name: \xff\n", []string{"not-utf8"}},
		{"yes is a string for restart", shopWith("  a:\n    container:\n      image: x:1\n      restart: no\n"), nil},
		{"yes is not a boolean", "observability:\n  otel:\n    enabled: yes\n" + minimalManifest, []string{"type-mismatch"}},
		{"017 is an integer", shopWith("  db:\n    postgres:\n      port: 017\n"), nil},
		{"hex is not an integer", shopWith("  db:\n    postgres:\n      port: 0x10\n"), []string{"type-mismatch"}},
		{"octal 0o is not an integer", shopWith("  db:\n    postgres:\n      port: 0o17\n"), []string{"type-mismatch"}},
		{"underscores are not an integer", shopWith("  db:\n    postgres:\n      port: 5_432\n"), []string{"type-mismatch"}},
		{"binary is not an integer", shopWith("  db:\n    postgres:\n      port: 0b1\n"), []string{"type-mismatch"}},
		{"exponent is not an integer", shopWith("  db:\n    postgres:\n      port: 1e3\n"), []string{"type-mismatch"}},
		{"float is not an integer", shopWith("  db:\n    postgres:\n      port: 54.32\n"), []string{"type-mismatch"}},
		{"huge integer is out of range", shopWith("  db:\n    postgres:\n      port: 99999999999999999999999\n"), []string{"invalid-port"}},
		{"null field is absent", shopWith("  db:\n    postgres:\n      port: ~\n      user: null\n      version:\n"), nil},
		{"list where a string is expected", shopWith("  db:\n    postgres:\n      user: [a]\n"), []string{"type-mismatch"}},
		{"mapping where a list is expected", shopWith("  a:\n    container:\n      image: x:1\n      volumes: {a: b}\n"), []string{"type-mismatch"}},
		{"boolean field rejects strings", "observability:\n  otel:\n    enabled: \"true\"\n" + minimalManifest, []string{"type-mismatch"}},
		{"duplicate inside an extension", "x-a: {k: 1, k: 2}\n" + minimalManifest, []string{"duplicate-key"}},
		{"duplicate env key", apiWith("      image: x:1\n      env:\n        A: 1\n        A: 2\n"), []string{"duplicate-key"}},
		{"explicit key beside a merge is no duplicate", "x-b: &b {image: \"x:2\"}\n" + apiWith("      <<: *b\n      image: x:1\n"), nil},
		{"unknown tag key types", shopWith("  ? [a, b]\n  : {container: {image: x:1}}\n"), []string{"type-mismatch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := decodeYAML(t, tt.src)
			expectCodes(t, ds, tt.codes...)
		})
	}
}

// §1.3 scalar coercion: string fields take any scalar as its source text.
func TestScalarCoercion(t *testing.T) {
	m, ds := decodeYAML(t, shopWith(`  db:
    postgres:
      version: 9.10
      password: true
      user: 0x10
      database: "123"
`))
	expectCodes(t, ds, "invalid-database-name")
	pg := m.Resources[0].Postgres
	for field, got := range map[string]string{"version": pg.Version.Value, "password": pg.Password.Value, "user": pg.User.Value} {
		want := map[string]string{"version": "9.10", "password": "true", "user": "0x10"}[field]
		if got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
}

// §1.3 anchors, aliases and merge keys: explicit keys win, diagnostics at the alias.
func TestAliasesAndMerge(t *testing.T) {
	m, ds := decodeYAML(t, `x-base: &base
  image: alpine:3.20
  env:
    A: from-base
    B: from-base
project:
  name: shop
resources:
  one:
    container:
      <<: *base
      env:
        A: explicit
  two:
    container: *base
`)
	expectCodes(t, ds)
	one := m.Resource("one").Container
	if one.Image.Value != "alpine:3.20" || len(one.Env) != 1 || one.Env[0].Value.Value != "explicit" {
		t.Errorf("merge: image %q env %+v", one.Image.Value, one.Env)
	}
	if m.Resource("two").Container.Image.Pos != (Pos{15, 16}) {
		t.Errorf("aliased image position = %v, want the alias at 15:16", m.Resource("two").Container.Image.Pos)
	}

	_, ds = decodeYAML(t, `x-bad: &bad
  port: "5432"
project:
  name: shop
resources:
  db:
    postgres: *bad
`)
	d := expectCodes(t, ds, "type-mismatch")
	if d.Pos != (Pos{7, 15}) {
		t.Errorf("diagnostic through an alias at %v, want 7:15", d.Pos)
	}
}

// hostileInput is input meant to hurt the decoder, and the code of the diagnostic it
// must give first.
type hostileInput struct{ name, src, code string }

// hostileInputs are the hostile inputs.
func hostileInputs() []hostileInput {
	laughs := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for i := 0; i < 9; i++ {
		name := string(rune('b' + i))
		laughs += name + ": &" + name + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n"
		prev = name
	}
	big := "x-big: |\n" + strings.Repeat("  "+strings.Repeat("y", 98)+"\n", 10<<20/100+1)
	return []hostileInput{
		{"invalid YAML", "project: [\n", "yaml-syntax"},
		{"tab indentation", "project:\n\tname: x\n", "yaml-syntax"},
		{"wrong types", "project: 5\nresources: [1, 2]\n", "type-mismatch"},
		{"binary garbage", "\x00\x01\x02\xfe\xff\x00garbage", "not-utf8"},
		{"control characters", "\x00\x01\x02", "yaml-syntax"},
		{"10 MB file", big, "manifest-unreadable"},
		{"10,000-deep nesting", "x: " + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + "\n", "yaml-syntax"},
		{"billion laughs", laughs + minimalManifest, "yaml-syntax"},
	}
}

// Issue acceptance: hostile input gives one clear error and never panics. That it does
// so quickly is measured by BenchmarkDecodeHostile; an input that blew up (an alias
// expanded a billion times, a quadratic check) would not end within the test timeout.
func TestRobustness(t *testing.T) {
	for _, tt := range hostileInputs() {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := decodeYAML(t, tt.src)
			if len(ds) == 0 || ds[0].Code != tt.code {
				t.Fatalf("diagnostics = %v, want first %s", ds, tt.code)
			}
		})
	}
}

// §1.3: a modest number of aliases is fine.
func TestAliasesWithinBound(t *testing.T) {
	src := "x-a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\nx-b: [" + strings.Repeat("*a, ", 99) + "*a]\n" + minimalManifest
	_, ds := decodeYAML(t, src)
	expectCodes(t, ds)
}

// Deep but legal nesting under a field is a type error with a position, not a crash.
func TestDeepNestingUnderField(t *testing.T) {
	src := "project: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\nresources: {}\n"
	_, ds := decodeYAML(t, src)
	d := expectCodes(t, ds, "type-mismatch")
	if d.Pos != (Pos{1, 10}) {
		t.Errorf("pos = %v", d.Pos)
	}
}

// A manifest near the size limit full of mistakes is validated, with one diagnostic
// for the resource count. BenchmarkDecodeHostile times it: the checks that compare
// resources must stay linear.
func TestLargeHostileManifest(t *testing.T) {
	_, ds := decodeYAML(t, largeHostileManifest())
	if len(withCode(ds, "too-many-resources")) != 1 {
		t.Errorf("too-many-resources not reported")
	}
}

// largeHostileManifest is just under MaxManifestBytes of resources that each depend on
// a missing resource and publish a port.
func largeHostileManifest() string {
	var b strings.Builder
	b.WriteString("project: {name: a}\nresources:\n")
	for i := 0; b.Len() < MaxManifestBytes-200; i++ {
		b.WriteString("  r" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + itoa(i) + ": {container: {image: x, depends_on: [nope], ports: [\"10.0.0." + itoa(i%250) + ":80:80\"]}}\n")
	}
	return b.String()
}

// BenchmarkDecodeHostile times Decode of each hostile input and of the large hostile
// manifest (issue acceptance: "quickly", well under a second each).
func BenchmarkDecodeHostile(b *testing.B) {
	inputs := append(hostileInputs(), hostileInput{name: "large hostile manifest", src: largeHostileManifest()})
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			data := []byte(in.src)
			for b.Loop() {
				Decode("lightshuttle.yml", "", data)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
