package export

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/plan"
)

// runExport runs `lsctl export args...` in an app with only the export command, with a
// loader that returns p.
func runExport(t *testing.T, p *plan.Plan, args ...string) (stdout string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := &ucli.App{Name: "lsctl", Writer: &out, ErrWriter: &errOut, ExitErrHandler: func(*ucli.Context, error) {},
		Commands: []*ucli.Command{Command(func(*ucli.Context) (*plan.Plan, error) { return p, nil })}}
	err = app.Run(append([]string{"lsctl", "export"}, args...))
	return out.String(), err
}

// copyCase copies testdata/<name> to a temporary manifest directory so that the default
// output directory (<manifest dir>/export/<target>) is writable.
func copyCase(t *testing.T, name string) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("testdata", name)
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// Bad input: an unknown or missing target, or a stray argument, is a usage error with
// exit code 2 (issue 7 acceptance).
func TestCommandUsageErrors(t *testing.T) {
	p := loadCase(t, "worked")
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"swarm"}, `unknown export target "swarm"; expected one of compose, kubernetes, helm`},
		{nil, "missing export target"},
		{[]string{"compose", "extra"}, `unexpected argument "extra"`},
	} {
		_, err := runExport(t, p, tc.args...)
		var ue *UsageError
		var ec ucli.ExitCoder
		if !errors.As(err, &ue) || !errors.As(err, &ec) || ec.ExitCode() != 2 || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("export %q: err = %v, want usage error (exit 2) %q", tc.args, err, tc.msg)
		}
	}
}

// TestCommandWritesDefaultDir: without -o the export goes to ./export/<target> beside
// the manifest, and the summary line counts the files.
func TestCommandWritesDefaultDir(t *testing.T) {
	dir := copyCase(t, "worked")
	p := loadFile(t, filepath.Join(dir, "lightshuttle.yml"))
	for _, target := range Targets() {
		out, err := runExport(t, p, target)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		want := filepath.Join(dir, "export", target)
		n := len(readGoldens(t, want))
		if n == 0 || out != "ok: wrote "+strconv.Itoa(n)+" file(s) for "+target+" to "+want+"\n" {
			t.Errorf("%s: output %q with %d files in %s", target, out, n, want)
		}
	}
}

// TestCommandRefusesNonEmptyDir: a non-empty output directory is refused and left as it
// was; --force writes into it.
func TestCommandRefusesNonEmptyDir(t *testing.T) {
	p := loadCase(t, "worked")
	dir := t.TempDir()
	keep := filepath.Join(dir, "keep.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := runExport(t, p, "compose", "-o", dir)
	if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err = %v, want refusal naming --force", err)
	}
	if files := readGoldens(t, dir); len(files) != 1 {
		t.Fatalf("refused export wrote files: %v", files)
	}
	out, err := runExport(t, p, "compose", "-o", dir, "--force")
	if err != nil || !strings.HasPrefix(out, "ok: wrote 2 file(s) for compose to ") {
		t.Fatalf("--force: %q, %v", out, err)
	}
	files := readGoldens(t, dir)
	if files["keep.txt"] != "mine" || files["compose.yaml"] == "" {
		t.Errorf("after --force: %v", keys(files))
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestWriteRefusesFile: an output path that is a regular file is an error.
func TestWriteRefusesFile(t *testing.T) {
	p := loadCase(t, "worked")
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(p, TargetCompose, f, true); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("err = %v", err)
	}
}

// TestCommandPrintsWarnings: what does not carry over is reported on stderr.
func TestCommandPrintsWarnings(t *testing.T) {
	dir := copyCase(t, "full")
	p := loadFile(t, filepath.Join(dir, "lightshuttle.yml"))
	var out, errOut bytes.Buffer
	app := &ucli.App{Name: "lsctl", Writer: &out, ErrWriter: &errOut, ExitErrHandler: func(*ucli.Context, error) {},
		Commands: []*ucli.Command{Command(func(*ucli.Context) (*plan.Plan, error) { return p, nil })}}
	if err := app.Run([]string{"lsctl", "export", "kubernetes"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "warning: resource foo-bar: host path "+filepath.Join(dir, "config")+" becomes a hostPath volume") {
		t.Errorf("stderr = %q", errOut.String())
	}
	if !strings.HasPrefix(out.String(), "ok: wrote 19 file(s) for kubernetes to ") {
		t.Errorf("stdout = %q", out.String())
	}
}
