package cli

import (
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// docs/spec/runtime.md §16.1, §17 item 68: usage errors print `error: <message>` and the help
// pointer on stderr and exit 2.
func TestUsageErrorsExit2(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		message string // expected after "error: "
		help    string // command named in the help pointer
	}{
		{"unknown command (item 68)", []string{"frobnicate"}, `unknown command "frobnicate"`, "lsctl"},
		{"unknown command suggestion", []string{"valdate"}, `unknown command "valdate" (did you mean "validate"?)`, "lsctl"},
		{"bad enum (item 68)", []string{"up", "--pull", "sometimes"}, `invalid value "sometimes" for --pull: expected missing, always or never`, "lsctl up"},
		{"bad format", []string{"validate", "--format", "yaml"}, `invalid value "yaml" for --format: expected text or json`, "lsctl validate"},
		{"unknown global flag", []string{"--bogus", "ps"}, "unknown flag --bogus", "lsctl"},
		{"unknown command flag", []string{"ps", "--bogus"}, "unknown flag --bogus", "lsctl ps"},
		{"unknown flag after positional", []string{"logs", "db", "--bogus"}, "unknown flag --bogus", "lsctl logs"},
		{"value flag last", []string{"logs", "db", "--tail"}, "flag --tail needs a value", "lsctl logs"},
		{"global value flag last", []string{"secrets", "check", "--namespace"}, "flag --namespace needs a value", "lsctl secrets check"},
		{"both spellings of one flag", []string{"up", "--dashboard-port", "1", "--control-port", "2"}, "--control-port and --dashboard-port are the same flag; give only one", "lsctl up"},
		{"missing argument", []string{"restart"}, "missing argument RESOURCE", "lsctl restart"},
		{"extra argument", []string{"version", "now"}, `unexpected argument "now"`, "lsctl version"},
		{"unknown shell", []string{"completion", "tcsh"}, `unknown shell "tcsh": expected bash, zsh or fish`, "lsctl completion"},
		{"missing subcommand", []string{"secrets"}, "missing command; expected check", "lsctl secrets"},
		{"unknown subcommand", []string{"images", "rm"}, `unknown command "rm" for "lsctl images"; expected load`, "lsctl images"},
		{"bad duration", []string{"down", "--grace", "soon"}, `invalid value "soon" for --grace`, "lsctl down"},
		{"zero wait timeout", []string{"up", "--wait-timeout", "0s"}, `invalid value "0s" for --wait-timeout: must be greater than 0`, "lsctl up"},
		{"negative tail", []string{"logs", "--tail", "-1"}, "invalid value -1 for --tail: must be 0 or more", "lsctl logs"},
		{"tail not a number", []string{"logs", "--tail", "x"}, `invalid value "x" for flag -tail`, "lsctl logs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, tt.args...)
			if r.code != 2 {
				t.Fatalf("exit code = %d, want 2; stderr:\n%s", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if len(lines) != 2 {
				t.Fatalf("stderr has %d lines, want 2:\n%s", len(lines), r.stderr)
			}
			if !strings.HasPrefix(lines[0], "error: "+tt.message) {
				t.Errorf("stderr line 1 = %q, want prefix %q", lines[0], "error: "+tt.message)
			}
			if want := `Run "` + tt.help + ` --help" for usage.`; lines[1] != want {
				t.Errorf("stderr line 2 = %q, want %q", lines[1], want)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
		})
	}
}

// docs/spec/runtime.md §16.11: --version prints only the version line; -V too (issue 15).
func TestVersionFlag(t *testing.T) {
	for _, flag := range []string{"-v", "-V", "--version"} {
		r := run(t, nil, flag)
		if r.code != 0 {
			t.Fatalf("%s: exit %d, stderr %s", flag, r.code, r.stderr)
		}
		if r.stdout != versionLine()+"\n" {
			t.Errorf("%s: stdout = %q, want the version line only", flag, r.stdout)
		}
	}
	if !strings.HasPrefix(versionLine(), "lsctl ") || !strings.Contains(versionLine(), "(commit ") || !strings.Contains(versionLine(), ", linux/") {
		t.Errorf("version line %q does not have the §16.11 shape", versionLine())
	}
}

// docs/spec/runtime.md §16.11: version prints the containerd line, or the unreachable line, and
// exits 0 either way.
func TestVersionCommandUnreachableContainerd(t *testing.T) {
	addr := t.TempDir() + "/nothing.sock"
	r := run(t, nil, "--address", addr, "version")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || lines[0] != versionLine() || !strings.HasPrefix(lines[1], "log driver: ") {
		t.Fatalf("stdout = %q", r.stdout)
	}
	if !strings.HasPrefix(lines[2], "containerd: unreachable at "+addr+" (") {
		t.Errorf("line 3 = %q, want the unreachable line for %s", lines[2], addr)
	}
}

// Issue 16: version names the log driver new containers get, and says how to get the
// small one when only lsctl itself can serve.
func TestVersionNamesTheLogDriver(t *testing.T) {
	addr := t.TempDir() + "/nothing.sock"
	r := run(t, map[string]string{"LSCTL_LOG_DRIVER": "/opt/lsctl/lsctl-log-driver"}, "--address", addr, "version")
	if want := "\nlog driver: /opt/lsctl/lsctl-log-driver (LSCTL_LOG_DRIVER)\n"; !strings.Contains(r.stdout, want) {
		t.Errorf("stdout = %q, want %q", r.stdout, want)
	}
	self := logDriverLine(containerdrt.LogDriverChoice{Path: "/usr/local/bin/lsctl", Source: "lsctl itself"})
	if !strings.Contains(self, "go build -o DIR/lsctl-log-driver ./containerdrt/logdriver/lsctl-log-driver") {
		t.Errorf("fallback line %q does not say how to build the driver", self)
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"up", "--help"}, {"secrets", "check", "-h"}, {}, {"help"}, {"help", "logs"}} {
		r := run(t, nil, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "USAGE") {
			t.Errorf("%v: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
}

// docs/spec/runtime.md §1.1: flag, then environment, then default.
func TestGlobalOptionPrecedence(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want globalOptions
	}{
		{"defaults", nil, nil, globalOptions{Address: "/run/containerd/containerd.sock", Namespace: "lightshuttle",
			Snapshotter: "overlayfs", DataRoot: "/var/lib/lsctl", BuildkitAddress: "unix:///run/buildkit/buildkitd.sock",
			SubnetPool: "10.213.0.0/16", CNIPath: "/x"}},
		{"environment", map[string]string{"CONTAINERD_ADDRESS": "/e.sock", "LSCTL_NAMESPACE": "ns", "CONTAINERD_SNAPSHOTTER": "native",
			"LSCTL_DATA_ROOT": "/d", "BUILDKIT_HOST": "tcp://b", "LSCTL_SUBNET_POOL": "10.9.0.0/16", "CNI_PATH": "/x", "NO_COLOR": "1"}, nil,
			globalOptions{Address: "/e.sock", Namespace: "ns", Snapshotter: "native", DataRoot: "/d", BuildkitAddress: "tcp://b",
				SubnetPool: "10.9.0.0/16", CNIPath: "/x", NoColor: true}},
		{"flags win", map[string]string{"CONTAINERD_ADDRESS": "/e.sock", "LSCTL_NAMESPACE": "ns", "NO_COLOR": ""},
			[]string{"--address", "/f.sock", "--namespace", "fns", "--no-color", "-f", "m.yml", "--env-file", "e"},
			globalOptions{File: "m.yml", EnvFile: "e", Address: "/f.sock", Namespace: "fns", Snapshotter: "overlayfs",
				DataRoot: "/var/lib/lsctl", BuildkitAddress: "unix:///run/buildkit/buildkitd.sock", SubnetPool: "10.213.0.0/16",
				CNIPath: "/x", NoColor: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &session{lookupEnv: func(k string) (string, bool) {
				if k == "CNI_PATH" {
					return "/x", true
				}
				v, ok := tt.env[k]
				return v, ok
			}}
			app := s.newApp()
			app.Commands = nil
			app.Action = func(*ucli.Context) error { return nil }
			if err := app.Run(append([]string{"lsctl"}, tt.args...)); err != nil {
				t.Fatal(err)
			}
			if s.opts != tt.want {
				t.Errorf("options = %+v\nwant      %+v", s.opts, tt.want)
			}
		})
	}
}
