package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control/controltest"
)

// Issue 13: exec's bad input is a usage error that names the fix, before anything is
// contacted.
func TestExecUsageErrors(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  api:\n    container: {image: 'a:1'}\n", nil)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"exec"}, "error: missing argument RESOURCE\n"},
		{[]string{"exec", "api"}, "error: missing command to run after api\n"},
		{[]string{"exec", "api", "--"}, "error: missing command to run after api\n"},
		{[]string{"exec", "api", "-u", "root", "id"}, "error: -u after the resource name is ambiguous: put lsctl exec's flags before RESOURCE and the command after --, as in: lsctl exec api -- CMD\n"},
		{[]string{"exec", "-t", "-T", "api", "sh"}, "error: -t and -T contradict each other: choose one\n"},
		{[]string{"exec", "-it", "api", "sh"}, "error: -it needs a terminal on stdin, and stdin is not one: drop -t (or use -T) to stream a pipe or file\n"},
		{[]string{"exec", "-i", "-t", "api", "sh"}, "error: -it needs a terminal on stdin, and stdin is not one: drop -t (or use -T) to stream a pipe or file\n"},
		{[]string{"exec", "-e", "=x", "api", "sh"}, "error: invalid value \"=x\" for --env: expected K=V\n"},
		{[]string{"exec", "-w", "tmp", "api", "sh"}, "error: invalid value \"tmp\" for --workdir: must be an absolute path in the container\n"},
		{[]string{"exec", "-u", "a b", "api", "sh"}, "error: invalid value \"a b\" for --user: expected USER or USER:GROUP\n"},
	}
	for _, tt := range tests {
		r := run(t, nil, append([]string{"--data-root", t.TempDir(), "-f", path}, tt.args...)...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, tt.want) || r.stdout != "" {
			t.Errorf("lsctl %s: code %d stdout %q stderr %q; want 2 and %q", strings.Join(tt.args, " "), r.code, r.stdout, r.stderr, tt.want)
		}
	}
}

// Issue 13: the command after the resource keeps its own flags, and argument order
// checks leave it alone.
func TestExecCommandLine(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"api", "psql", "-U", "app", "-c", "select 1"}, []string{"psql", "-U", "app", "-c", "select 1"}},
		{[]string{"api", "--", "-weird", "--"}, []string{"-weird", "--"}},
		{[]string{"api", "sh", "--", "x"}, []string{"sh", "--", "x"}},
	}
	app := (&session{}).newApp()
	// lsctl's flags before RESOURCE are ordered as for any command.
	for _, cmd := range []string{"exec", "run"} {
		got, err := reorderArgs(app, []string{cmd, "-e", "A=1", "--file", "x.yml", "api", "sh", "-c", "true"})
		want := []string{"--file", "x.yml", cmd, "-e", "A=1", "--", "api", "sh", "-c", "true"}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: reorderArgs = %q, %v; want %q", cmd, got, err, want)
		}
	}
	for _, tt := range tests {
		ordered, err := reorderArgs(app, append([]string{"exec", "-i"}, tt.args...))
		rest := slices.Clone(ordered)
		if len(rest) > 2 && rest[2] == "--" {
			rest = slices.Delete(rest, 2, 3) // ends lsctl's flags; urfave drops it
		}
		if err != nil || !slices.Equal(rest, append([]string{"exec", "-i"}, tt.args...)) {
			t.Errorf("exec %v: argument order made %q (%v): the command line must stay as it is", tt.args, ordered, err)
		}
		got, err := splitCommandLine(nil, tt.args[0], tt.args[1:])
		if err != nil || strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("exec %v: command %q (%v), want %q", tt.args, got, err, tt.want)
		}
	}
}

// Issue 13: an unknown resource gets a suggestion, and one that is not running is
// named with its status, from the running up's view.
func TestExecResourceChecks(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  db:\n    postgres: {}\n  api:\n    container: {image: 'a:1'}\n", nil)
	root := t.TempDir()
	serveFake(t, root, controltest.NewPlane("shop",
		actors.View{Name: "db", Kind: "postgres", Status: actors.StatusStopped},
		actors.View{Name: "api", Kind: "container", Status: actors.StatusExited}))
	tests := []struct {
		resource, want string
	}{
		{"dbb", "error: unknown resource \"dbb\" in project \"shop\" (did you mean \"db\"?)\n"},
		{"db", "error: resource \"db\" is not running (status stopped); start it with lsctl start db\n"},
		{"api", "error: resource \"api\" is not running (status exited); see lsctl logs api, then lsctl restart api\n"},
	}
	for _, tt := range tests {
		r := run(t, nil, "--data-root", root, "-f", path, "exec", tt.resource, "--", "true")
		if r.code != 1 || r.stderr != tt.want {
			t.Errorf("exec %s: code %d stderr %q; want 1 and %q", tt.resource, r.code, r.stderr, tt.want)
		}
	}
}
