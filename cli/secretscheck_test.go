package cli

import (
	"strings"
	"testing"
)

// docs/spec/runtime.md §16.10, docs/spec/manifest.md §25 statuses.
func TestSecretsCheck(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		dotenv   string
		env      map[string]string
		code     int
		stdout   string
		stderr   string
	}{
		{
			name:     "§29 item 62 empty dotenv entry hides the process env",
			manifest: "project: {name: p}\nresources:\n  api:\n    container:\n      image: a:1\n      env: {X: '${env.API}'}\n",
			dotenv:   "API=\n",
			env:      map[string]string{"API": "from-shell"},
			code:     1,
			stdout:   "VARIABLE  STATUS\nAPI       missing\n",
			stderr:   "error: 1 required variable(s) not set: API (add them to DIR/.env or pass --env-file PATH)\n",
		},
		{
			name:     "§29 item 63 unused inner default",
			manifest: "project: {name: p}\nresources:\n  api:\n    container:\n      image: a:1\n      env: {X: '${env.A:-${env.B}}'}\n",
			env:      map[string]string{"A": "1"},
			stdout:   "VARIABLE  STATUS\nA         set (env)\nB         unused\nall required secrets are set\n",
		},
		{
			name:     "§29 item 64 default and missing",
			manifest: "project: {name: p}\nresources:\n  api:\n    container:\n      image: a:1\n      env: {X: '${env.A:-${env.B}}'}\n",
			code:     1,
			stdout:   "VARIABLE  STATUS\nA         default (${env.B})\nB         missing\n",
			stderr:   "error: 1 required variable(s) not set: B (add them to DIR/.env or pass --env-file PATH)\n",
		},
		{
			name: "§28 worked example: dotenv and default, values never printed",
			manifest: "project: {name: shop}\nresources:\n  db:\n    postgres:\n      password: ${env.DB_PASSWORD:-}\n" +
				"  api:\n    container:\n      image: a:1\n      env: {L: '${env.LOG_LEVEL:-info}', M: '${env.LOG_LEVEL:-debug}'}\n",
			dotenv: "DB_PASSWORD=hunter2hunter2\n",
			stdout: "VARIABLE     STATUS\nDB_PASSWORD  set (.env)\nLOG_LEVEL    default (debug | info)\nall required secrets are set\n",
		},
		{
			name:     "no references",
			manifest: "project: {name: quiet}\nresources:\n  db:\n    postgres: {}\n",
			stdout:   "no ${env.*} references in project quiet\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := map[string]string{}
			if tt.dotenv != "" {
				extra[".env"] = tt.dotenv
			}
			path := writeManifest(t, tt.manifest, extra)
			r := run(t, tt.env, "-f", path, "secrets", "check")
			dir := strings.TrimSuffix(path, "/lightshuttle.yml")
			if r.code != tt.code || r.stdout != tt.stdout || r.stderr != strings.ReplaceAll(tt.stderr, "DIR", dir) {
				t.Errorf("got code %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, "hunter2") || strings.Contains(r.stdout+r.stderr, "from-shell") {
				t.Error("a variable value was printed")
			}
		})
	}
}

// secrets check --env-file reads the given file (§16.10), and a missing one fails.
func TestSecretsCheckEnvFile(t *testing.T) {
	path := writeManifest(t, "project: {name: p}\nresources:\n  api:\n    container:\n      image: a:1\n      env: {X: '${env.TOKEN}'}\n",
		map[string]string{"other.env": "TOKEN=abc\n"})
	dir := strings.TrimSuffix(path, "lightshuttle.yml")
	r := run(t, nil, "-f", path, "secrets", "check", "--env-file", dir+"other.env")
	if r.code != 0 || !strings.Contains(r.stdout, "TOKEN     set (.env)") {
		t.Errorf("code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "-f", path, "secrets", "check", "--env-file", dir+"nope.env")
	if r.code != 1 || !strings.Contains(r.stderr, "nope.env does not exist") {
		t.Errorf("missing env file: code %d stderr %q", r.code, r.stderr)
	}
}
