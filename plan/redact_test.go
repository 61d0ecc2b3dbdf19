package plan

import "testing"

// docs/spec/runtime.md §8.4 and §17 item 64: secret values and their percent-encoded forms.
func TestRedactor(t *testing.T) {
	r := NewRedactor([]string{"p@ss:w/rd", "abc", "secret", "secret-longer", ""})
	tests := []struct{ in, want string }{
		{"auth failed for p@ss:w/rd", "auth failed for ********"},
		{"url postgres://u:p%40ss%3Aw%2Frd@db", "url postgres://u:********@db"},
		{"abc is too short to redact", "abc is too short to redact"},
		{"secret-longer wins over its prefix", "******** wins over its prefix"},
		{"secret secret", "******** ********"},
		{"nothing here", "nothing here"},
	}
	for _, tt := range tests {
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	var zero *Redactor
	if zero.Redact("x") != "x" || (&Redactor{}).Redact("x") != "x" {
		t.Error("zero redactor changed text")
	}
}

// The plan's redactor covers generated and explicit passwords, secrets values and urls.
func TestPlanRedactor(t *testing.T) {
	yaml := manifestOf("shop", `
db: {postgres: {}}
cache: {redis: {password: "r3d1s pw"}}
api: {container: {image: "x:1", secrets: {TOKEN: tok-123456}, env: {PLAIN: visible}}}
`)
	p := build(t, yaml, Options{Secrets: fakeSecrets{"db": "GENERATEDGENERATEDGENERA"}})
	r := p.Redactor()
	in := "GENERATEDGENERATEDGENERA r3d1s pw r3d1s%20pw tok-123456 visible"
	if got, want := r.Redact(in), "******** ******** ******** ******** visible"; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
}
