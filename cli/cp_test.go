package cli

import (
	"strings"
	"testing"
)

// Issue 13: cp's bad arguments are usage errors that change nothing.
func TestCpUsageErrors(t *testing.T) {
	path := writeManifest(t, shopHandManifest, nil)
	root := t.TempDir()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"cp", "db:/a", "api:/b"}, 2, "error: both SRC and DEST name a resource: copy through the host, one side at a time\n"},
		{[]string{"cp", "a", "/b"}, 2, "error: neither SRC nor DEST names a resource: one of them must be RESOURCE:PATH\n"},
		{[]string{"cp", "-", "-"}, 2, "error: neither SRC nor DEST names a resource: one of them must be RESOURCE:PATH\n"},
		{[]string{"cp", "db:etc/x", "."}, 2, "error: the path in the container must be absolute: db:/etc/x\n"},
		{[]string{"cp", "db:/x"}, 2, "error: missing argument SRC and DEST\n"},
		{[]string{"cp", "dbb:/x", "."}, 1, "error: unknown resource \"dbb\" in project \"shop\" (did you mean \"db\"?)\n"},
	}
	for _, tt := range tests {
		r := run(t, nil, append([]string{"--data-root", root, "-f", path}, tt.args...)...)
		if r.code != tt.code || !strings.HasPrefix(r.stderr, tt.want) {
			t.Errorf("lsctl %v: code %d stderr %q; want %d %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
	}
}

// A host path with a colon starts with ./ or /; "-" is a stream.
func TestParseCpEnd(t *testing.T) {
	for arg, want := range map[string]cpEnd{
		"db:/var/lib": {"db", "/var/lib"}, "./a:b": {"", "./a:b"}, "/x:y": {"", "/x:y"},
		"-": {"", "-"}, "file": {"", "file"}, ":x": {"", ":x"},
	} {
		if got := parseCpEnd(arg); got != want {
			t.Errorf("parseCpEnd(%q) = %+v, want %+v", arg, got, want)
		}
	}
}
