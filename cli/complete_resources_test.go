package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 13: the bash completion offers the manifest's resource names to the commands
// that take them, asking lsctl itself (with the -f given on the command line).
func TestBashCompletionResources(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	r := run(t, nil, "completion", "bash")
	path := filepath.Join(t.TempDir(), "lsctl.bash")
	if err := os.WriteFile(path, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	// lsctl stands in for the binary: it answers __resources and records its arguments.
	argsFile := filepath.Join(t.TempDir(), "args")
	stub := `lsctl() { echo "$*" >` + argsFile + `; local s=""; [ "${@: -1}" = : ] && s=:; printf 'web%s\nworker%s\n' "$s" "$s"; }; `
	tests := []struct {
		words, want, args string
	}{
		{`lsctl exec w`, "web worker", "__resources"},
		{`lsctl -f x.yml restart w`, "web worker", "-f x.yml __resources"},
		{`lsctl --file=y.yml logs wo`, "worker", "-f y.yml __resources"},
		{`lsctl exec --wo`, "--workdir", ""},
		{`lsctl ps w`, "", ""},
		{`lsctl cp w`, "web: worker:", "__resources :"},
	}
	for _, tt := range tests {
		_ = os.Remove(argsFile)
		script := stub + `source ` + path + `; COMP_WORDS=(` + tt.words + `); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _lsctl; echo "${COMPREPLY[@]}"`
		out, err := exec.Command("bash", "-c", script).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != tt.want {
			t.Errorf("%s: got %q (%v), want %q", tt.words, out, err, tt.want)
		}
		args, _ := os.ReadFile(argsFile)
		if got := strings.TrimSpace(string(args)); got != tt.args {
			t.Errorf("%s: lsctl called with %q, want %q", tt.words, got, tt.args)
		}
	}
}

// Issue 13: __resources prints the manifest's names, and nothing without a manifest.
func TestCompleteResourcesCommand(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  db:\n    postgres: {}\n  api:\n    container: {image: 'a:1'}\n", nil)
	if r := run(t, nil, "-f", path, "__resources"); r.code != 0 || r.stdout != "db\napi\n" {
		t.Errorf("__resources: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := run(t, nil, "-f", filepath.Join(t.TempDir(), "none.yml"), "__resources"); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("__resources without a manifest: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}
