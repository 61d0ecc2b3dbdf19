package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// symlinks makes each name (relative to dir) a symbolic link to its target.
func symlinks(t *testing.T, dir string, links map[string]string) {
	t.Helper()
	for name, target := range links {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRealHostPath(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "real", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	symlinks(t, dir, map[string]string{
		"rel":        "real",
		"abs":        filepath.Join(dir, "real"),
		"chain":      "rel/sub",
		"up":         "real/sub/..",
		"dangling":   "missing/dir",
		"loop":       "loop",
		"real/back":  "../real",
		"toetc":      "/etc",
		"real/inner": "/etc/..",
	})
	tests := []struct{ in, want string }{
		{"/", "/"},
		{dir + "/real", dir + "/real"},
		{dir + "/rel", dir + "/real"},
		{dir + "/abs/sub", dir + "/real/sub"},
		{dir + "/chain", dir + "/real/sub"},
		{dir + "/up", dir + "/real"},
		{dir + "/real/back/back/sub", dir + "/real/sub"},
		{dir + "/dangling", dir + "/missing/dir"},           // where a mount would create it
		{dir + "/rel/new/deeper", dir + "/real/new/deeper"}, // missing components kept
		{dir + "/toetc", "/etc"},
		{dir + "/real/inner", "/"},
	}
	for _, tt := range tests {
		if got, err := RealHostPath(tt.in); err != nil || got != tt.want {
			t.Errorf("RealHostPath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := RealHostPath(dir + "/loop"); err == nil || !strings.Contains(err.Error(), "too many levels of symbolic links") {
		t.Errorf("loop: %v", err)
	}
}

// Issue 12 item 7, docs/spec/manifest.md §15.3: symbolic links are resolved before the
// manifest-directory rule, so ./linkdir -> /etc is refused; links that stay inside
// are fine.
func TestConfineHostPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	symlinks(t, dir, map[string]string{"linkdir": "/etc", "inside": "real", "sneaky": "real/../..", "later": "/tmp/lsctl-never-there"})
	for _, ok := range []string{"real", "inside", "inside/new", "missing/x", "."} {
		if _, err := ConfineHostPath(dir, filepath.Join(dir, ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for name, real := range map[string]string{"linkdir": "/etc", "linkdir/nginx": "/etc/nginx", "sneaky": filepath.Dir(dir), "later/x": "/tmp/lsctl-never-there/x"} {
		_, err := ConfineHostPath(dir, filepath.Join(dir, name))
		var ee *EscapeError
		if !errors.As(err, &ee) || ee.Real != real || !strings.Contains(err.Error(), "outside the manifest directory") {
			t.Errorf("%s: %v; want an escape to %s", name, err, real)
		}
	}
	if real, err := ConfineHostPath("", filepath.Join(dir, "linkdir")); err != nil || real != "/etc" {
		t.Errorf("an absolute host path is not confined: %q, %v", real, err)
	}
}

func TestSensitiveHostPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/", "/"},
		{"/etc", "/etc"},
		{"/var", "/var/run"},
		{"/var/run", "/var/run"},
		{"/run", "/run"},
		{"/proc", "/proc"},
		{"/proc/1/root", "/proc"},
		{"/sys/fs/cgroup", "/sys"},
		{"/dev", "/dev"},
		{"/dev/sda", "/dev"},
		{"/boot", "/boot"},
		{"/run/containerd", "/run/containerd"},
		{"/run/containerd/containerd.sock", "/run/containerd/containerd.sock"},
		{"/var/run/containerd/containerd.sock", "/var/run/containerd"},
		{"/var/lib", "/var/lib/containerd"},
		{"/etc/nginx", ""},
		{"/run/user/1000/app", ""},
		{"/srv/data", ""},
		{"/home/me/project/data", ""},
		{"/etcetera", ""},
		{"/devices", ""},
	}
	for _, tt := range tests {
		if got := SensitiveHostPath(tt.in); got != tt.want {
			t.Errorf("SensitiveHostPath(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// Issue 12 item 7, docs/spec/manifest.md §15.3, §27.2: validate refuses a relative host path
// whose link leaves the manifest directory, and warns about sensitive host paths,
// written or reached through a link.
func TestValidateHostPathLinks(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	symlinks(t, dir, map[string]string{"linkdir": "/etc", "out": outside})
	symlinks(t, outside, map[string]string{"etc-link": "/etc"})
	vol := func(m string) string {
		return shopWith("  api:\n    container:\n      image: x:1\n      volumes: [\"" + m + "\"]\n")
	}
	tests := []struct {
		mapping, code, message string
	}{
		{"./linkdir:/host-etc", "invalid-volume", `invalid volume mapping "./linkdir:/host-etc": host path "` + filepath.Join(dir, "linkdir") + `" resolves through a symbolic link to "/etc", outside the manifest directory`},
		{"./linkdir/ssl:/ssl:ro", "invalid-volume", `resolves through a symbolic link to "/etc/ssl"`},
		{"./out:/out", "invalid-volume", "outside the manifest directory"},
		{"/etc:/host-etc", "sensitive-host-path", `host path "/etc" gives the container the host's /etc; mount a narrower directory`},
		{"/var:/v:ro", "sensitive-host-path", `host path "/var" gives the container the host's /var/run`},
		{"/run/containerd/containerd.sock:/c.sock", "sensitive-host-path", `the host's /run/containerd`},
		{"/:/host", "sensitive-host-path", `host path "/" gives the container the host's /`},
		{outside + "/etc-link:/e", "sensitive-host-path", `(through a symbolic link to "/etc") gives the container the host's /etc`},
		{"/etc/nginx:/etc/nginx:ro", "", ""},
		{"./data:/data", "", ""},
	}
	for _, tt := range tests {
		_, ds := Decode("lightshuttle.yml", dir, []byte(vol(tt.mapping)))
		if tt.code == "" {
			expectCodes(t, ds)
			continue
		}
		d := expectCodes(t, ds, tt.code)
		if !strings.Contains(d.Message, tt.message) || d.Path != "resources.api.container.volumes[0]" {
			t.Errorf("%s: %s\nwant %q", tt.mapping, d, tt.message)
		}
		if (tt.code == "sensitive-host-path") != (d.Severity == SeverityWarning) {
			t.Errorf("%s: severity %s", tt.mapping, d.Severity)
		}
	}
}
