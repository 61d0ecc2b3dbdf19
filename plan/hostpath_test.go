package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/manifest"
)

// Issue 12 item 7, docs/spec/manifest.md §15.3, §26.1 phase 5: a host path that held a reference
// is checked on the filesystem once resolved, as the validator checks a literal one:
// a link out of the manifest directory is invalid-volume, a sensitive host directory
// the warning sensitive-host-path. A relative host path carries the manifest directory
// the mount confines it to.
func TestHostPathRecheck(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("/etc", filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	yaml := manifestOf("shop", `api: {container: {image: "x:1", volumes: ["${env.V}:/x"]}}`)
	tests := []struct{ v, code, message string }{
		{"./linkdir", "invalid-volume", `resolves through a symbolic link to "/etc", outside the manifest directory`},
		{"/etc", "sensitive-host-path", `host path "/etc" gives the container the host's /etc`},
		{"./data", "", ""},
	}
	for _, tt := range tests {
		m, diags := manifest.Decode("lightshuttle.yml", dir, []byte(yaml))
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		p, diags := Build(m, Options{Env: testEnv(map[string]string{"V": tt.v})})
		if tt.code == "" {
			if len(diags) != 0 || p == nil {
				t.Fatalf("%s: %v", tt.v, diags)
			}
			if vb := p.Nodes[0].Spec.Volumes[0]; vb.Source != filepath.Join(dir, "data") || vb.Within != dir {
				t.Errorf("%s: binding %+v", tt.v, vb)
			}
			continue
		}
		if len(diags) != 1 || diags[0].Code != tt.code || !strings.Contains(diags[0].Message, tt.message) ||
			diags[0].Path != "resources.api.container.volumes[0]" {
			t.Errorf("%s: diags = %v; want %s %q", tt.v, diags, tt.code, tt.message)
		}
		if (p != nil) != (tt.code == "sensitive-host-path") {
			t.Errorf("%s: plan %v", tt.v, p != nil)
		}
	}
}
