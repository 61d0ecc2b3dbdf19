package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/cli/control/controltest"
	"github.com/lightshuttle/lsctl/containerdrt/logfile"
)

// Issue 15 conformance: an upstream LightShuttle user's command lines and manifests
// work unchanged. Every form runs through the whole command line in-process (Run, or
// session.run where a signal has to be injected).

const compatManifest = "project: {name: shop}\nresources:\n  db:\n    postgres: {}\n  api:\n    container: {image: 'a:1'}\n"

// Flags after the resource name, global flags after the command name.
func TestCompatRestartFlagsAnywhere(t *testing.T) {
	path := writeManifest(t, compatManifest, nil)
	for _, args := range [][]string{
		{"restart", "api", "--detach"},
		{"restart", "api", "-d"},
		{"restart", "--detach", "api"},
		{"restart", "api", "--detach", "-f", path},
		{"restart", "-f", path, "api", "-d"},
	} {
		root := t.TempDir()
		serveFake(t, root, controltest.NewPlane("shop", controltest.ShopViews()...))
		r := run(t, nil, append([]string{"--data-root", root, "-f", path}, args...)...)
		if r.code != 0 || r.stdout != "api: restart accepted\n" || r.stderr != "" {
			t.Errorf("%q: code %d stdout %q stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

// runFollowing runs a command line with SIGINT already pending: a command that follows
// ends with 130 once it waits for signals, one that does not follow ends with 0.
func runFollowing(args ...string) result {
	var out, errb bytes.Buffer
	sigs := make(chan os.Signal, 1)
	sigs <- syscall.SIGINT
	s := &session{stdout: &out, stderr: &errb, lookupEnv: func(string) (string, bool) { return "", false }, signals: sigs}
	code := s.run(args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// `logs -f` follows after the command name (compose's and the original's habit), in
// every spelling and position; before the command name -f stays --file.
func TestCompatLogsFollow(t *testing.T) {
	root := t.TempDir()
	path := writeManifest(t, compatManifest, nil)
	controltest.WriteLog(t, root, "shop", "api", logfile.Record{TS: at(1), Stream: "stdout", Line: "hello"})
	globals := []string{"--data-root", root, "-f", path}
	for _, tt := range []struct {
		args   []string
		follow bool
	}{
		{append(globals, "logs", "api", "--follow"), true},
		{append(globals, "logs", "-f", "api"), true}, // lsctl -f x.yml logs -f api
		{append(globals, "logs", "api", "-f"), true},
		{append(globals, "logs", "api", "-F"), true},
		{append(globals, "logs", "--follow", "api"), true},
		{[]string{"logs", "api", "-f", "--data-root", root, "--file", path}, true},
		{[]string{"logs", "--tail", "1", "api", "--file=" + path, "--data-root=" + root, "-F"}, true},
		{append(globals, "logs", "api"), false},
		{[]string{"logs", "api", "--data-root", root, "--file", path}, false},
	} {
		r := runFollowing(tt.args...)
		want := 0
		if tt.follow {
			want = 130
		}
		if r.code != want || r.stdout != "api | hello\n" || r.stderr != "" {
			t.Errorf("%q: code %d (want %d) stdout %q stderr %q", tt.args, r.code, want, r.stdout, r.stderr)
		}
	}
	// After the command name -f is --follow, so the next word is a resource name.
	r := runFollowing(append(globals, "logs", "-f", "x.yml")...)
	if r.code != 1 || r.stderr != "error: unknown resource \"x.yml\" in project \"shop\"\n" {
		t.Errorf("logs -f x.yml: code %d stderr %q", r.code, r.stderr)
	}
}

// Global flags after the command name, and the output lines scripts grep for.
func TestCompatGlobalFlagsAfterCommand(t *testing.T) {
	path := writeManifest(t, compatManifest, nil)
	okLine := "ok: project `shop` with 2 resource(s)\n"
	for _, tt := range []struct {
		args   []string
		stdout string
	}{
		{[]string{"validate", "-f", path}, okLine},
		{[]string{"validate", "--file", path, "--strict"}, okLine},
		{[]string{"validate", "--strict", "--file=" + path, "--no-color", "--namespace", "x"}, okLine},
		{[]string{"secrets", "check", "-f", path}, "no ${env.*} references in project shop\n"},
	} {
		r := run(t, nil, tt.args...)
		if r.code != 0 || r.stdout != tt.stdout || r.stderr != "" {
			t.Errorf("%q: code %d stdout %q stderr %q", tt.args, r.code, r.stdout, r.stderr)
		}
	}
	r := run(t, nil, "manifest", "--file", path, "--show-secrets")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "# resolved by lsctl ") {
		t.Errorf("manifest --file: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	// up reads the manifest given after its name: its missing variable stops it before
	// containerd is contacted.
	envPath := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container: {image: 'a:1', env: {T: '${env.X}'}}\n", nil)
	r = run(t, nil, "up", "--file", envPath, "--address", "/nonexistent.sock", "--data-root", t.TempDir())
	if r.code != 1 || !strings.Contains(r.stderr, "missing required environment variable(s): X") {
		t.Errorf("up --file: code %d stderr %q", r.code, r.stderr)
	}
	withEnv := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container: {image: 'a:1', env: {T: '${env.X}'}}\n", nil)
	r = run(t, map[string]string{"X": "1"}, "secrets", "check", "-f", withEnv)
	if r.code != 0 || r.stdout != "VARIABLE  STATUS\nX         set (env)\nall required secrets are set\n" {
		t.Errorf("secrets check: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}

// parsedOptions runs a command line through reorderArgs and urfave with the action of
// the command replaced by parse, which reads the options the real action would.
func parsedOptions(t *testing.T, command string, parse func(*ucli.Context) error, args ...string) {
	t.Helper()
	s := &session{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, lookupEnv: func(string) (string, bool) { return "", false }}
	app := s.newApp()
	findCommand(app.Commands, command).Action = parse
	ordered, err := reorderArgs(app, args)
	if err == nil {
		err = app.Run(append([]string{"lsctl"}, ordered...))
	}
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
}

// up --control-port is --dashboard-port, up --no-otel is accepted, and durations take
// compound forms, wherever the flags are written.
func TestCompatUpAndDownOptions(t *testing.T) {
	var up upOptions
	parseUp := func(c *ucli.Context) (err error) { up, err = parseUpOptions(c); return err }
	parsedOptions(t, "up", parseUp, "up", "--control-port", "8123", "--no-otel", "--grace", "1m30s", "--wait-timeout", "1h5m")
	if up.DashboardPort != 8123 || !up.NoOtel || up.Grace != 90*time.Second || up.WaitTimeout != 65*time.Minute {
		t.Errorf("up options = %+v", up)
	}
	parsedOptions(t, "up", parseUp, "up", "--dashboard-port=9000", "-d")
	if up.DashboardPort != 9000 || up.NoOtel || !up.Detach {
		t.Errorf("up options = %+v", up)
	}
	var down downOptions
	parseDown := func(c *ucli.Context) (err error) { down, err = parseDownOptions(c); return err }
	parsedOptions(t, "down", parseDown, "down", "--grace", "1m30s", "--volumes")
	if down.Grace != 90*time.Second || !down.Volumes {
		t.Errorf("down options = %+v", down)
	}
	// Through Run: the alias reaches --dashboard-port's check, a compound grace is
	// accepted (down goes on to containerd), an incomplete one is a usage error.
	r := run(t, nil, "up", "--control-port", "70000")
	if r.code != 2 || !strings.HasPrefix(r.stderr, "error: invalid value 70000 for --dashboard-port") {
		t.Errorf("up --control-port 70000: code %d stderr %q", r.code, r.stderr)
	}
	path := writeManifest(t, compatManifest, nil)
	addr := filepath.Join(t.TempDir(), "containerd.sock")
	r = run(t, nil, "down", "--grace", "1m30s", "-f", path, "--address", addr, "--data-root", t.TempDir())
	if r.code != 1 || !strings.HasPrefix(r.stderr, "error: cannot connect to containerd at "+addr) {
		t.Errorf("down --grace 1m30s: code %d stderr %q", r.code, r.stderr)
	}
	r = run(t, nil, "down", "--grace", "1m30")
	if r.code != 2 || !strings.HasPrefix(r.stderr, `error: invalid value "1m30" for --grace: invalid duration "1m30": the unit is missing`) {
		t.Errorf("down --grace 1m30: code %d stderr %q", r.code, r.stderr)
	}
	r = run(t, nil, "-V")
	if r.code != 0 || r.stdout != versionLine()+"\n" {
		t.Errorf("-V: code %d stdout %q", r.code, r.stdout)
	}
}

// observability.otel is acted on now (docs/spec/runtime.md §20): no warning with or without
// --no-otel, also under --strict, and --no-otel is accepted.
func TestCompatNoOtel(t *testing.T) {
	path := writeManifest(t, "observability: {otel: {enabled: true}}\n"+compatManifest, nil)
	addr := filepath.Join(t.TempDir(), "containerd.sock")
	for _, flags := range [][]string{nil, {"--no-otel"}, {"--strict", "--no-otel"}, {"--strict"}} {
		args := append([]string{"up", "-f", path, "--address", addr, "--data-root", t.TempDir()}, flags...)
		r := run(t, nil, args...)
		if r.code != 1 || strings.Contains(r.stderr, "warning") || !strings.HasPrefix(r.stderr, "error: cannot connect to containerd") {
			t.Errorf("%q: code %d stderr %q", args, r.code, r.stderr)
		}
	}
}

// A build context outside the manifest directory: deploy/lightshuttle.yml beside the
// code of a monorepo.
func TestCompatBuildContextOutside(t *testing.T) {
	repo := t.TempDir()
	for _, f := range []string{"Dockerfile", "svc/Dockerfile", "deploy/.keep"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(repo, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, f), []byte("FROM scratch\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	manifestFor := func(ctx string) string {
		path := filepath.Join(repo, "deploy", "lightshuttle.yml")
		body := "project: {name: mono}\nresources:\n  web:\n    dockerfile: {context: '" + ctx + "'}\n"
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for ctx, want := range map[string]string{"..": repo, "../svc": filepath.Join(repo, "svc"), filepath.Join(repo, "svc"): filepath.Join(repo, "svc")} {
		path := manifestFor(ctx)
		if r := run(t, nil, "validate", "--strict", "-f", path); r.code != 0 || r.stdout != "ok: project `mono` with 1 resource(s)\n" {
			t.Errorf("context %q: code %d stdout %q stderr %q", ctx, r.code, r.stdout, r.stderr)
		}
		if r := run(t, nil, "manifest", "-f", path); !strings.Contains(r.stdout, "context: "+want+"\n") {
			t.Errorf("context %q: manifest shows\n%s%s", ctx, r.stdout, r.stderr)
		}
	}
	r := run(t, nil, "validate", "-f", manifestFor("../missing"))
	if r.code != 1 || !strings.Contains(r.stderr, "build context \""+filepath.Join(repo, "missing")+"\" is not a directory") {
		t.Errorf("missing context: code %d stderr %q", r.code, r.stderr)
	}
}

// Zero healthcheck timings and retries mean the defaults, with a warning; compound
// durations are read.
func TestCompatHealthcheckZero(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container:\n      image: 'a:1'\n"+
		"      healthcheck: {test: [CMD, 'true'], interval: 0s, timeout: 0s, retries: 0, start_period: 1m30s}\n", nil)
	r := run(t, nil, "validate", "-f", path)
	for _, want := range []string{`interval "0s" means the default: 5s is used`, `timeout "0s" means the default: 3s is used`,
		"retries 0 means the default: 5 is used"} {
		if !strings.Contains(r.stderr, "warning: ") || !strings.Contains(r.stderr, want) {
			t.Errorf("validate lacks %q: code %d stderr %q", want, r.code, r.stderr)
		}
	}
	if r.code != 0 || r.stdout != "ok: project `shop` with 1 resource(s)\n" {
		t.Errorf("validate: code %d stdout %q", r.code, r.stdout)
	}
	if r := run(t, nil, "validate", "--strict", "-f", path); r.code != 1 {
		t.Errorf("validate --strict: code %d", r.code)
	}
	r = run(t, nil, "manifest", "-f", path)
	for _, want := range []string{"interval: 5s", "timeout: 3s", "retries: 5", "start_period: 90s"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("manifest lacks %q:\n%s", want, r.stdout)
		}
	}
}

// The default dotenv file is <manifest dir>/.env; without it, ./.env is read with a
// warning naming it.
func TestCompatDotenvFallback(t *testing.T) {
	body := "project: {name: shop}\nresources:\n  api:\n    container: {image: 'a:1', env: {T: '${env.X}'}}\n"
	path := writeManifest(t, body, nil)
	cwd := t.TempDir()
	if err := os.WriteFile(filepath.Join(cwd, ".env"), []byte("X=from-cwd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(cwd)
	r := run(t, nil, "secrets", "check", "-f", path)
	want := "warning: reading " + filepath.Join(cwd, ".env") + " from the current directory: "
	if r.code != 0 || !strings.HasPrefix(r.stderr, want) || r.stdout != "VARIABLE  STATUS\nX         set (.env)\nall required secrets are set\n" {
		t.Errorf("fallback: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), ".env"), []byte("X=beside\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, "secrets", "check", "-f", path); r.code != 0 || r.stderr != "" {
		t.Errorf("beside the manifest: code %d stderr %q", r.code, r.stderr)
	}
}

// Reserved kinds, top-level hooks and ${secret.*}: a warning that says the stack runs
// without them, and --strict fails on them (validate and up, before containerd).
func TestCompatReservedIgnored(t *testing.T) {
	cases := map[string]struct{ body, warning string }{}
	for _, kind := range []string{"mysql", "mariadb", "mongodb", "static", "process"} {
		cases[kind] = struct{ body, warning string }{compatManifest + "  legacy:\n    " + kind + ": {}\n",
			`resources.legacy: kind "` + kind + `" is reserved for a future format version: resource "legacy" is ignored and the stack runs without it`}
	}
	cases["hooks"] = struct{ body, warning string }{"hooks: {pre_up: [echo]}\n" + compatManifest,
		"hooks: reserved for a future format version: lsctl runs no hooks, the field is ignored and the stack runs without it"}
	cases["secret"] = struct{ body, warning string }{"project: {name: shop}\nresources:\n  api:\n    container: {image: 'a:1', env: {T: '${secret.TOKEN}'}}\n",
		`"${secret.TOKEN}" is reserved for a future format version: the reference is ignored, the value keeps it as literal text and the stack runs without that secret`}
	for name, c := range cases {
		path := writeManifest(t, c.body, nil)
		r := run(t, nil, "validate", "-f", path)
		if r.code != 0 || !strings.Contains(r.stderr, "warning: ") || !strings.Contains(r.stderr, c.warning) {
			t.Errorf("%s: validate code %d stderr %q", name, r.code, r.stderr)
		}
		r = run(t, nil, "validate", "-f", path, "--strict")
		if r.code != 1 || !strings.Contains(r.stderr, "error: ") || !strings.Contains(r.stderr, c.warning) || r.stdout != "" {
			t.Errorf("%s: validate --strict code %d stderr %q", name, r.code, r.stderr)
		}
		r = run(t, nil, "up", "--strict", "-f", path, "--address", "/nonexistent.sock", "--data-root", t.TempDir())
		if r.code != 1 || !strings.Contains(r.stderr, c.warning) || strings.Contains(r.stderr, "containerd") {
			t.Errorf("%s: up --strict code %d stderr %q", name, r.code, r.stderr)
		}
	}
}
