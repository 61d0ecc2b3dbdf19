package manifest

import (
	"strings"
	"testing"
)

// TestParseVolumeValid covers the valid rows of §15.2 and checklist items 46 and 49.
func TestParseVolumeValid(t *testing.T) {
	tests := []struct {
		in   string
		want VolumeMapping
	}{
		{"./data:/var/lib/data", VolumeMapping{Source: "./data", Target: "/var/lib/data", HostPath: true}},
		{"/srv/cfg:/etc/app", VolumeMapping{Source: "/srv/cfg", Target: "/etc/app", HostPath: true}},
		{"cache:/var/cache", VolumeMapping{Source: "cache", Target: "/var/cache", HostPath: false}},
		{"c:/data", VolumeMapping{Source: "c", Target: "/data", HostPath: false}}, // §29 item 46: two-field reading
		{"  ./config:/etc/app  ", VolumeMapping{Source: "./config", Target: "/etc/app", HostPath: true}},
		{".:/src", VolumeMapping{Source: ".", Target: "/src", HostPath: true}},
		{".hidden:/h", VolumeMapping{Source: ".hidden", Target: "/h", HostPath: true}},
		{"my.vol_1-x:/data/", VolumeMapping{Source: "my.vol_1-x", Target: "/data/", HostPath: false}},
		{strings.Repeat("v", 128) + ":/v", VolumeMapping{Source: strings.Repeat("v", 128), Target: "/v", HostPath: false}},
		// Issue 12 item 7: the mode suffix, as compose has it (§29 item 44).
		{"./conf:/etc/app:ro", VolumeMapping{Source: "./conf", Target: "/etc/app", HostPath: true, ReadOnly: true}},
		{"./conf:/etc/app:rw", VolumeMapping{Source: "./conf", Target: "/etc/app", HostPath: true}},
		{"cache:/var/cache:ro", VolumeMapping{Source: "cache", Target: "/var/cache", ReadOnly: true}},
	}
	for _, tt := range tests {
		got, err := ParseVolume(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseVolume(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// TestVolumeSeparator checks the drive-letter rule of §15.1 step 2 on the §15.2 rows
// whose drive paths the grammar recognises before lsctl rejects them.
func TestVolumeSeparator(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{`c:/project:/data`, 10},
		{`C:\project\data:/data`, 15},
		{`C:\:/data`, 3},
		{`c:/data`, 1},
		{`C:\data`, -1},
		{`cache:/x`, 5},
		{`pgdata`, -1},
	}
	for _, tt := range tests {
		if got := volumeSeparator(tt.in); got != tt.want {
			t.Errorf("volumeSeparator(%q) = %d; want %d", tt.in, got, tt.want)
		}
	}
}

// TestParseVolumeErrors covers the error rows of §15.2, §15.3-15.5 and checklist items
// 44-47.
func TestParseVolumeErrors(t *testing.T) {
	tests := []struct{ in, reason string }{
		{"./data:/app:z", `unsupported mode "z": the third field is ro (read-only) or rw (read-write, the default)`}, // §29 item 44
		{"./data:/app:RO", `unsupported mode "RO"`},
		{"./data:/app:ro,z", `unsupported mode "ro,z"`},
		{"ab:/b:c:d", `unsupported mode "c:d"`},
		{"ab:/b:", `unsupported mode ""`},
		{"ab::ro", "empty component"},
		{`c:/project:/data:ro`, "drive-qualified host paths are not supported by lsctl"},
		{"pgdata", "missing target"},  // §29 item 47
		{":/data", "empty component"}, // §29 item 47
		{"pgdata:", "empty component"},
		{"", "the mapping is empty"},
		{"  ", "the mapping is empty"},
		{"data:relative", "the target must be an absolute path"}, // §29 item 47
		{"data:/", "the target must not be \"/\""},
		{"data://", "the target must not be \"/\""},
		{"data:/a/../b", `the target must not contain ".." components`},
		{"../outside:/outside", "must not leave the manifest directory"}, // §29 item 45
		{"./a/../b:/x", "must not leave the manifest directory"},         // §29 item 45
		{"..:/x", "must not leave the manifest directory"},
		{"/srv/../etc:/x", `a host path must not contain ".." components`},
		{`C:\data:/data`, "drive-qualified host paths are not supported by lsctl"}, // §29 item 46
		{`c:/project:/data`, "drive-qualified host paths are not supported by lsctl"},
		{`C:\project\data:/data`, "drive-qualified host paths are not supported by lsctl"},
		{`C:\:/data`, "drive-qualified host paths are not supported by lsctl"},
		{`C:\data`, "missing target"},
		{"~/x:/x", `invalid volume name "~/x"`},
		{"_x:/x", `invalid volume name "_x"`},
		{"${x}:/x", `invalid volume name "${x}"`},
		{strings.Repeat("v", 129) + ":/v", "invalid volume name"},
	}
	for _, tt := range tests {
		_, err := ParseVolume(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("ParseVolume(%q) error %v; want one containing %q", tt.in, err, tt.reason)
		}
	}
}

// TestCheckVolumeName covers the name grammar of §15.4 (checklist item 27).
func TestCheckVolumeName(t *testing.T) {
	for _, ok := range []string{"pgdata", "yes", "A", "0", "a.b_c-d", strings.Repeat("x", 128)} {
		if err := CheckVolumeName(ok); err != nil {
			t.Errorf("CheckVolumeName(%q) = %v; want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "bad/name", "-x", ".x", "a b", "~", "{x}", "é", strings.Repeat("x", 129)} {
		if err := CheckVolumeName(bad); err == nil || !strings.Contains(err.Error(), "invalid volume name") {
			t.Errorf("CheckVolumeName(%q) = %v; want invalid volume name", bad, err)
		}
	}
}

// TestResolveHostPath covers §15.3 and checklist items 45, 46 and 49.
func TestResolveHostPath(t *testing.T) {
	tests := []struct{ dir, source, want, reason string }{
		{"/p", "./config", "/p/config", ""}, // §29 item 49
		{"/p", ".", "/p", ""},
		{"/p", "./", "/p", ""},
		{"/p", "././a//b/", "/p/a/b", ""},
		{"/p", ".cache", "/p/.cache", ""},
		{"/p", "/srv/cfg/", "/srv/cfg", ""},
		{"/p", "/", "/", ""},
		{"rel/dir", "./x", "rel/dir/x", ""},
		{"/p", "../outside", "", "must not leave the manifest directory"}, // §29 item 45
		{"/p", "./a/../b", "", "must not leave the manifest directory"},   // §29 item 45
		{"/p", "/a/..", "", `must not contain ".." components`},
		{"/p", `C:\data`, "", "drive-qualified"}, // §29 item 46
		{"/p", "d:/x", "", "drive-qualified"},
		{"/p", "cache", "", "not a host path"},
		{"/p", "", "", "empty component"},
	}
	for _, tt := range tests {
		got, err := ResolveHostPath(tt.dir, tt.source)
		if tt.reason == "" {
			if err != nil || got != tt.want {
				t.Errorf("ResolveHostPath(%q, %q) = %q, %v; want %q", tt.dir, tt.source, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("ResolveHostPath(%q, %q) error %v; want one containing %q", tt.dir, tt.source, err, tt.reason)
		}
	}
}

// FuzzParseVolume checks that parsing never panics and that an accepted mapping has a
// non-empty source, an absolute target other than "/", no ".." anywhere, and a host path
// exactly when the source starts with "." or "/"; host paths then resolve inside the
// manifest directory or to a clean absolute path.
func FuzzParseVolume(f *testing.F) {
	for _, s := range []string{"./data:/var/lib/data", "cache:/var/cache", "c:/data", `C:\:/data`, "./data:/app:ro", "../x:/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVolume(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseVolume(%q): empty reason", s)
			}
			return
		}
		if v.Source == "" || !strings.HasPrefix(v.Target, "/") || hasDotDot(v.Target) || strings.Trim(v.Target, "/") == "" {
			t.Fatalf("ParseVolume(%q) = %+v breaks the target rules", s, v)
		}
		if v.HostPath != (v.Source[0] == '.' || v.Source[0] == '/') {
			t.Fatalf("ParseVolume(%q) = %+v: wrong classification", s, v)
		}
		if !v.HostPath {
			return
		}
		p, err := ResolveHostPath("/m", v.Source)
		if err != nil {
			t.Fatalf("ResolveHostPath of accepted %q: %v", v.Source, err)
		}
		if v.Source[0] == '.' && p != "/m" && !strings.HasPrefix(p, "/m/") {
			t.Fatalf("ResolveHostPath(%q) = %q leaves the manifest directory", v.Source, p)
		}
	})
}
