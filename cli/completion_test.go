package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// docs/spec/runtime.md §16.11: completion scripts for the three shells, listing the commands and
// their flags; the bash and zsh scripts must at least parse.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			r := run(t, nil, "completion", shell)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("code %d stderr %q", r.code, r.stderr)
			}
			for _, want := range []string{"validate", "restart", "--detach", "--show-secrets", "--namespace"} {
				if shell == "fish" {
					want = strings.Replace(want, "--", "-l ", 1)
				}
				if !strings.Contains(r.stdout, want) {
					t.Errorf("script lacks %q", want)
				}
			}
			if strings.Contains(r.stdout, "__log-driver") {
				t.Error("the hidden log driver command is offered")
			}
			if shell == "fish" {
				return
			}
			path := filepath.Join(t.TempDir(), "lsctl."+shell)
			if err := os.WriteFile(path, []byte(r.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := exec.LookPath("bash"); err != nil {
				t.Skip("bash not installed")
			}
			if shell == "bash" {
				if out, err := exec.Command("bash", "-n", path).CombinedOutput(); err != nil {
					t.Errorf("bash -n: %v\n%s", err, out)
				}
			}
		})
	}
}

// The bash completion offers a command's flags after its name and skips the value of
// a global flag when looking for the command.
func TestBashCompletionWords(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	r := run(t, nil, "completion", "bash")
	path := filepath.Join(t.TempDir(), "lsctl.bash")
	if err := os.WriteFile(path, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		words string
		want  string
	}{
		{`lsctl -f x.yml restart --d`, "--detach"},
		{`lsctl secrets ch`, "check"},
		{`lsctl val`, "validate"},
		{`lsctl service un`, "uninstall"},
		{`lsctl service install --n`, "--name --now"},
	}
	for _, tt := range tests {
		script := `source ` + path + `; COMP_WORDS=(` + tt.words + `); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _lsctl; echo "${COMPREPLY[@]}"`
		out, err := exec.Command("bash", "-c", script).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != tt.want {
			t.Errorf("%s: got %q (%v), want %q", tt.words, out, err, tt.want)
		}
	}
}
