package containerdrt

import "testing"

// docs/spec/runtime.md §9.4: an OCI ref.name names an image only when it is a full reference.
func TestOCIRefName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"latest", ""},
		{"1.0", ""},
		{"busybox:1.36", "docker.io/library/busybox:1.36"},
		{"localhost/pg:15", "localhost/pg:15"},
		{"lightshuttle/shop_web", "docker.io/lightshuttle/shop_web:latest"},
		{"Bad:Ref:x", ""},
	}
	for _, tc := range tests {
		if got := ociRefName(tc.in); got != tc.want {
			t.Errorf("ociRefName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormaliseName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"busybox:latest", "docker.io/library/busybox:latest"},
		{"docker.io/library/redis:7-alpine", "docker.io/library/redis:7-alpine"},
		{"sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{"localhost:5000/x", "localhost:5000/x:latest"},
	}
	for _, tc := range tests {
		if got := normaliseName(tc.in); got != tc.want {
			t.Errorf("normaliseName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFamiliarName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"docker.io/library/postgres:16-alpine", "postgres:16-alpine"},
		{"docker.io/lightshuttle/shop_web:dev", "lightshuttle/shop_web:dev"},
		{"localhost/pg:15", "localhost/pg:15"},
		{"sha256:abc", "sha256:abc"},
	}
	for _, tc := range tests {
		if got := FamiliarName(tc.in); got != tc.want {
			t.Errorf("FamiliarName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
