package containerdrt

import (
	"os"
	"path/filepath"
	"testing"
)

// docs/spec/runtime.md §9.3: only loopback registries may fall back to plain HTTP.
func TestIsLoopbackRegistry(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true}, {"localhost:5000", true}, {"127.0.0.1:5000", true},
		{"[::1]:5000", true}, {"registry-1.docker.io", false}, {"10.0.0.1:5000", false},
		{"localhost.example.com", false},
	}
	for _, tc := range tests {
		if got := isLoopbackRegistry(tc.host); got != tc.want {
			t.Errorf("isLoopbackRegistry(%q) = %v", tc.host, got)
		}
	}
}

// docs/spec/runtime.md §9.3: auths entries (auth, username/password, identitytoken) from
// $DOCKER_CONFIG/config.json; docker.io under its historical key.
func TestDockerCredentials(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	cfg := `{"auths": {
		"https://index.docker.io/v1/": {"auth": "aHViOnNlY3JldA=="},
		"localhost:5000": {"username": "u", "password": "p"},
		"registry.example.com": {"identitytoken": "tok"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ host, user, secret string }{
		{"registry-1.docker.io", "hub", "secret"},
		{"docker.io", "hub", "secret"},
		{"localhost:5000", "u", "p"},
		{"registry.example.com", "", "tok"},
		{"quay.io", "", ""},
	}
	for _, tc := range tests {
		u, s, err := dockerCredentials(tc.host)
		if err != nil || u != tc.user || s != tc.secret {
			t.Errorf("dockerCredentials(%s) = %q, %q, %v", tc.host, u, s, err)
		}
	}
}
