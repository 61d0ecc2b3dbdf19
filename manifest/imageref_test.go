package manifest

import (
	"strings"
	"testing"
)

const (
	hex64  = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	hex128 = hex64 + hex64
)

// TestParseImageRefNormalized covers every valid row of the §18.3 table and checklist
// items 32 and 33 (grammar part).
func TestParseImageRefNormalized(t *testing.T) {
	tests := []struct {
		in         string
		normalized string
		familiar   string
		untagged   bool
		want       ImageRef
	}{
		{"postgres:16-alpine", "docker.io/library/postgres:16-alpine", "postgres:16-alpine", false,
			ImageRef{Path: "postgres", Tag: "16-alpine"}},
		{"alpine", "docker.io/library/alpine:latest", "alpine", true, ImageRef{Path: "alpine"}}, // §29 item 32
		{"my-org/api:1.0", "docker.io/my-org/api:1.0", "my-org/api:1.0", false, ImageRef{Path: "my-org/api", Tag: "1.0"}},
		{"registry.example.com:5000/team/api:1.2", "registry.example.com:5000/team/api:1.2", "registry.example.com:5000/team/api:1.2", false,
			ImageRef{Registry: "registry.example.com:5000", Path: "team/api", Tag: "1.2"}},
		{"registry.example.com:5000/team/api", "registry.example.com:5000/team/api:latest", "registry.example.com:5000/team/api", true,
			ImageRef{Registry: "registry.example.com:5000", Path: "team/api"}}, // §29 item 33: port is not a tag
		{"localhost:5000/api", "localhost:5000/api:latest", "localhost:5000/api", true, ImageRef{Registry: "localhost:5000", Path: "api"}},
		{"localhost/api:dev", "localhost/api:dev", "localhost/api:dev", false, ImageRef{Registry: "localhost", Path: "api", Tag: "dev"}},
		{"alpine@sha256:" + hex64, "docker.io/library/alpine@sha256:" + hex64, "alpine@sha256:" + hex64, false, // §29 item 32
			ImageRef{Path: "alpine", Digest: "sha256:" + hex64}},
		{"alpine:3.20@sha512:" + hex128, "docker.io/library/alpine:3.20@sha512:" + hex128, "alpine:3.20@sha512:" + hex128, false,
			ImageRef{Path: "alpine", Tag: "3.20", Digest: "sha512:" + hex128}},
		{"index.docker.io/nginx:1", "docker.io/library/nginx:1", "nginx:1", false, ImageRef{Registry: "index.docker.io", Path: "nginx", Tag: "1"}},
		{"docker.io/library/redis:7", "docker.io/library/redis:7", "redis:7", false, ImageRef{Registry: "docker.io", Path: "library/redis", Tag: "7"}},
		{"docker.io/org/x:1", "docker.io/org/x:1", "org/x:1", false, ImageRef{Registry: "docker.io", Path: "org/x", Tag: "1"}},
		{"  registry.example.com/acme/api:1.4 ", "registry.example.com/acme/api:1.4", "registry.example.com/acme/api:1.4", false, ImageRef{Registry: "registry.example.com", Path: "acme/api", Tag: "1.4"}},
		{"org/a__b.c_d---e:_T.a-g", "docker.io/org/a__b.c_d---e:_T.a-g", "org/a__b.c_d---e:_T.a-g", false, ImageRef{Path: "org/a__b.c_d---e", Tag: "_T.a-g"}},
		{"a.b/c", "a.b/c:latest", "a.b/c", true, ImageRef{Registry: "a.b", Path: "c"}}, // a dot makes the first part a registry
		{"Host-1.Example:80/x", "Host-1.Example:80/x:latest", "Host-1.Example:80/x", true, ImageRef{Registry: "Host-1.Example:80", Path: "x"}},
		{"127.0.0.1:5000/busybox:1", "127.0.0.1:5000/busybox:1", "127.0.0.1:5000/busybox:1", false, ImageRef{Registry: "127.0.0.1:5000", Path: "busybox", Tag: "1"}},
		{"x:" + strings.Repeat("t", 128), "docker.io/library/x:" + strings.Repeat("t", 128), "x:" + strings.Repeat("t", 128), false, ImageRef{Path: "x", Tag: strings.Repeat("t", 128)}},
	}
	for _, tt := range tests {
		got, err := ParseImageRef(tt.in)
		if err != nil {
			t.Errorf("ParseImageRef(%q) error %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseImageRef(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
		if n := got.Normalized(); n != tt.normalized {
			t.Errorf("ParseImageRef(%q).Normalized() = %q; want %q", tt.in, n, tt.normalized)
		}
		if f := got.Familiar(); f != tt.familiar {
			t.Errorf("ParseImageRef(%q).Familiar() = %q; want %q", tt.in, f, tt.familiar)
		}
		if got.Untagged() != tt.untagged {
			t.Errorf("ParseImageRef(%q).Untagged() = %v", tt.in, got.Untagged())
		}
	}
}

// TestParseImageRefErrors covers the error rows of the §18.3 table and checklist item 33.
func TestParseImageRefErrors(t *testing.T) {
	tests := []struct{ in, reason string }{
		{"", "empty"},
		{"   ", "empty"},
		{"Postgres:16", "repository names must be lowercase"}, // §29 item 33
		{"acme/API", "repository names must be lowercase"},
		{"postgres:", `invalid tag ""`},
		{"postgres:.16", `invalid tag ".16"`},
		{"postgres:-x", `invalid tag "-x"`},
		{"x:" + strings.Repeat("t", 129), "invalid tag"},
		{"x:a+b", "invalid tag"},
		{"team//api", `invalid repository "team//api"`},
		{":16", `invalid repository ""`},
		{"host:5000/", `invalid repository ""`},
		{"bad_host:5000/x", `invalid registry "bad_host:5000"`},
		{"-bad.io/x", "invalid registry"},
		{"bad.io:/x", "invalid registry"},
		{"bad.io:50a/x", "invalid registry"},
		{"a..b/x", "invalid registry"},
		{"api_", "invalid repository"},
		{"a___b", "invalid repository"},
		{"a.-b", "invalid repository"},
		{"/x", "invalid repository"},
		{"x/", "invalid repository"},
		{"my app", "invalid repository"},
		{"alpine@sha256:" + hex64[:63], "invalid digest"},
		{"alpine@sha256:" + strings.ToUpper(hex64), "invalid digest"},
		{"alpine@md5:" + hex64, "invalid digest"},
		{"alpine@", "invalid digest"},
		{"alpine@sha256:" + hex64 + "@x", "invalid digest"},
		{"r.io/" + strings.Repeat("a", 251), "longer than 255"},
	}
	for _, tt := range tests {
		_, err := ParseImageRef(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("ParseImageRef(%q) error %v; want one containing %q", tt.in, err, tt.reason)
		}
	}
	// The limit applies to the normalised name, which is what containerd stores.
	for _, ok := range []string{"r.io/" + strings.Repeat("a", 250), strings.Repeat("a", 237)} {
		if _, err := ParseImageRef(ok); err != nil {
			t.Errorf("a 255-character name is accepted: %v", err)
		}
	}
	if _, err := ParseImageRef(strings.Repeat("a", 238)); err == nil {
		t.Errorf("docker.io/library/ + 238 characters must be rejected")
	}
}

// FuzzParseImageRef checks that parsing never panics and that a parsed reference's
// normalised form parses again to a reference with the same normalised form.
func FuzzParseImageRef(f *testing.F) {
	for _, s := range []string{"alpine", "postgres:16-alpine", "localhost:5000/api", "bad_host:5000/x", "alpine@sha256:" + hex64} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseImageRef(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseImageRef(%q): empty reason", s)
			}
			return
		}
		n := r.Normalized()
		r2, err := ParseImageRef(n)
		if err != nil {
			t.Fatalf("ParseImageRef(%q).Normalized() = %q does not parse: %v", s, n, err)
		}
		if r2.Normalized() != n || r2.Untagged() {
			t.Fatalf("normalising %q is not idempotent: %q then %q", s, n, r2.Normalized())
		}
		if f := r.Familiar(); f == "" {
			t.Fatalf("ParseImageRef(%q).Familiar() is empty", s)
		}
	})
}

// BenchmarkParseImageRef measures the parse and normalisation of a typical reference.
func BenchmarkParseImageRef(b *testing.B) {
	for b.Loop() {
		r, err := ParseImageRef("registry.example.com:5000/team/api:1.2")
		if err != nil {
			b.Fatal(err)
		}
		_ = r.Normalized()
	}
}
