package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/cli/systemd"
)

// chainStack is c -> b -> a: three dependency levels.
const chainStack = `project: {name: svc}
resources:
  a: {container: {image: "busybox:1", command: "sleep 1d"}}
  b: {container: {image: "busybox:1", command: "sleep 1d", depends_on: [a]}}
  c: {container: {image: "busybox:1", command: "sleep 1d", depends_on: [b]}}
`

// serviceManifest writes body as lightshuttle.yml in a directory named dir (spaces and
// all) and returns the manifest's path.
func serviceManifest(t *testing.T, dir, body string) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), dir)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(d, "lightshuttle.yml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// directives reads a unit into "Section.Key" -> values, comments left out.
func directives(t *testing.T, unit string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	section := ""
	for _, l := range strings.Split(unit, "\n") {
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			section = strings.Trim(l, "[]")
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				t.Fatalf("not a directive: %q", l)
			}
			out[section+"."+k] = append(out[section+"."+k], v)
		}
	}
	return out
}

// Every directive of the unit, with the global options in force, a manifest directory
// whose name needs quoting, and the environment lsctl reads passed on.
func TestServicePrintUnit(t *testing.T) {
	path := serviceManifest(t, `my "stack" 100% $HOME`, chainStack)
	dir := filepath.Dir(path)
	envFile := filepath.Join(dir, "svc.env")
	if err := os.WriteFile(envFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LSCTL_SUBNET_POOL": "10.9.0.0/16", "LSCTL_LOG_DRIVER": "/opt/ls ctl/lsctl",
		"LSCTL_LOG": "debug", "CNI_PATH": "", "HOME": t.TempDir()}
	r := run(t, env, "--address", "unix:///run/c.sock", "--namespace", "ns1", "--data-root", "/srv/data",
		"--env-file", envFile, "-f", path, "service", "print", "--grace", "5s", "--quiet")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	exe, _ := os.Executable()
	quotedDir := `"` + strings.NewReplacer(`"`, `\"`, "%", "%%", "$", "$$").Replace(dir)
	want := map[string][]string{
		"Unit.Description":          {"lightshuttle stack svc (lsctl up)"},
		"Unit.Wants":                {"containerd.service network-online.target"},
		"Unit.After":                {"containerd.service network-online.target"},
		"Service.Type":              {"exec"},
		"Service.WorkingDirectory":  {strings.ReplaceAll(dir, "%", "%%")},
		"Service.Environment":       {`"LSCTL_LOG_DRIVER=/opt/ls ctl/lsctl"`, "LSCTL_LOG=debug"},
		"Service.KillSignal":        {"SIGINT"},
		"Service.SuccessExitStatus": {"129 130 143"},
		"Service.KillMode":          {"mixed"},
		"Service.TimeoutStopSec":    {"75"}, // 3 levels x (5 s + 10 s) + 30 s
		"Service.Restart":           {"on-failure"},
		"Service.RestartSec":        {"5s"},
		"Install.WantedBy":          {"multi-user.target"},
		"Service.ExecStart": {exe + " --address /run/c.sock --namespace ns1 --data-root /srv/data" +
			" --subnet-pool 10.9.0.0/16 --env-file " + quotedDir + `/svc.env" --file ` + quotedDir +
			`/lightshuttle.yml" up --no-color --grace 5s --quiet`},
	}
	if got := directives(t, r.stdout); !reflect.DeepEqual(got, want) {
		t.Errorf("unit directives:\n got %q\nwant %q\nunit:\n%s", got, want, r.stdout)
	}
	if p, ok := systemd.ProjectOf(r.stdout); !ok || p != "svc" {
		t.Errorf("unitProject = %q, %v; want svc, true", p, ok)
	}
}

// Defaults: the stack's identity is always written out, other options only when set;
// the default grace gives 3 x 20 s + 30 s.
func TestServicePrintDefaults(t *testing.T) {
	path := serviceManifest(t, "shop", chainStack)
	r := run(t, nil, "-f", path, "service", "print")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	d := directives(t, r.stdout)
	exe, _ := os.Executable()
	wantExec := exe + " --address /run/containerd/containerd.sock --namespace lightshuttle --data-root /var/lib/lsctl --file " +
		path + " up --no-color --grace 10s"
	if got := d["Service.ExecStart"]; len(got) != 1 || got[0] != wantExec {
		t.Errorf("ExecStart = %q, want %q", got, wantExec)
	}
	if got := d["Service.TimeoutStopSec"]; len(got) != 1 || got[0] != "90" {
		t.Errorf("TimeoutStopSec = %q, want 90", got)
	}
	if len(d["Service.Environment"]) != 0 {
		t.Errorf("Environment = %q, want none", d["Service.Environment"])
	}
	if strings.Contains(exe, os.TempDir()) && !strings.Contains(r.stderr, "a temporary directory") {
		t.Errorf("no warning about a binary in a temporary directory: %q", r.stderr)
	}
}

// service print refuses an invalid --name and says how to fix it.
func TestServiceBadName(t *testing.T) {
	path := serviceManifest(t, "shop", chainStack)
	r := run(t, nil, "-f", path, "service", "print", "--name", "my shop")
	if r.code != 2 || !strings.Contains(r.stderr, `invalid --name "my shop"`) || !strings.Contains(r.stderr, "--name lsctl-shop") {
		t.Errorf("bad --name: exit %d, stderr %q; want 2 and how to fix it", r.code, r.stderr)
	}
}

// A manifest path systemd cannot hold is refused, not written garbled.
func TestServiceRefusesUnwritablePaths(t *testing.T) {
	path := serviceManifest(t, "new\nline", chainStack)
	r := run(t, nil, "-f", path, "service", "print")
	if r.code != 1 || !strings.Contains(r.stderr, "control character") {
		t.Errorf("exit %d, stderr %q; want 1 and a control character error", r.code, r.stderr)
	}
}

// A variable only the installing shell has is named; a missing one stops the command.
func TestServiceVariables(t *testing.T) {
	body := strings.Replace(chainStack, `command: "sleep 1d"}`, `command: "sleep 1d", env: {T: "${env.TOKEN}"}}`, 1)
	path := serviceManifest(t, "shop", body)
	r := run(t, map[string]string{"TOKEN": "x"}, "-f", path, "service", "print")
	if r.code != 0 || !strings.Contains(r.stderr, "warning: TOKEN is set only in this shell's environment") ||
		!strings.Contains(r.stderr, filepath.Join(filepath.Dir(path), ".env")) {
		t.Errorf("exit %d, stderr %q; want 0 and a warning naming TOKEN and the .env file", r.code, r.stderr)
	}
	if strings.Contains(r.stdout, "TOKEN") {
		t.Errorf("the unit carries the variable:\n%s", r.stdout)
	}
	r = run(t, nil, "-f", path, "service", "print")
	if r.code != 1 || !strings.Contains(r.stderr, "TOKEN") {
		t.Errorf("missing variable: exit %d, stderr %q; want 1 naming TOKEN", r.code, r.stderr)
	}
}
