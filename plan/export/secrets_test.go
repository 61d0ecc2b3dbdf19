package export

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoSecretInAnyFile writes every case for every target and greps each emitted file
// for each known secret value: the .env values, secrets: values, the generated
// password, and every secret value the plan knows (issue 7 acceptance).
func TestNoSecretInAnyFile(t *testing.T) {
	for _, name := range cases {
		p := loadCase(t, name)
		secrets := append([]string(nil), knownSecrets...)
		for _, n := range p.Nodes {
			for _, v := range n.SecretValues {
				if len(v) >= minContained {
					secrets = append(secrets, v)
				}
			}
		}
		for _, target := range Targets() {
			t.Run(name+"/"+target, func(t *testing.T) {
				dir := writeCase(t, p, target)
				count := 0
				err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
					if err != nil || d.IsDir() {
						return err
					}
					count++
					data, err := os.ReadFile(path)
					if err != nil {
						return err
					}
					for _, s := range secrets {
						if strings.Contains(string(data), s) {
							t.Errorf("%s contains the secret %q", path, s)
						}
					}
					return nil
				})
				if err != nil || count == 0 {
					t.Fatalf("walked %d files: %v", count, err)
				}
			})
		}
	}
}

func TestLooksSecret(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		want       bool
	}{
		{"DB_PASSWORD", "x", true},
		{"GITHUB_TOKEN", "x", true},
		{"API_KEY", "x", true},
		{"CLIENT_SECRET", "x", true},
		{"AWS_CREDENTIALS", "x", true},
		{"LOG_LEVEL", "debug", false},
		{"DSN", "postgres://u:pw@h/db", true}, // URL with a password
		{"DSN", "postgres://u@h/db", false},
		{"COPY", "contains hunter2hunter2 inside", true}, // a known secret inside
		{"SHORT", "pw", true},                            // a short known secret, whole value
		{"SHORT2", "pwx", false},                         // a short secret is not searched inside text
	} {
		s := &secretSet{values: []string{"hunter2hunter2", "pw"}}
		if got := s.isSecretValue(tc.key, tc.value); got != tc.want {
			t.Errorf("isSecretValue(%q, %q) = %v, want %v", tc.key, tc.value, got, tc.want)
		}
	}
}

// TestSplitReferencesSecrets: a secret inside an argument becomes a reference to the
// container variable that holds it, or to a new LSH_SECRET_<n> variable.
func TestSplitReferencesSecrets(t *testing.T) {
	s := &secretSet{values: []string{"longer-secret-value", "secret-value"}}
	sv := &service{Env: []envVar{{Name: "TOKEN", Value: "secret-value", Secret: true}}}
	got := s.split("a secret-value b longer-secret-value", sv.varFor)
	want := arg{{Text: "a "}, {Var: "TOKEN"}, {Text: " b "}, {Var: "LSH_SECRET_1"}}
	if len(got) != len(want) {
		t.Fatalf("split = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("segment %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if !hasEnv(sv.Env, "LSH_SECRET_1") || !sv.Env[0].Secret {
		t.Errorf("env = %+v", sv.Env)
	}
	if r := got.render(composeEscape, func(v string) string { return "${" + v + "}" }); r != "a ${TOKEN} b ${LSH_SECRET_1}" {
		t.Errorf("render = %q", r)
	}
}
