package manifest

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	long := strings.Repeat("a", 40) + strings.Repeat("m", 1000) + strings.Repeat("z", 24)
	tests := []struct{ in, want string }{
		{"", ""},
		{"short", "short"},
		{strings.Repeat("é", 64), strings.Repeat("é", 64)}, // 128 bytes, 64 characters: kept
		{long, strings.Repeat("a", 40) + "…" + strings.Repeat("z", 24)},
		{strings.Repeat("é", 65), strings.Repeat("é", 40) + "…" + strings.Repeat("é", 24)},
	}
	for _, tt := range tests {
		if got := Clip(tt.in); got != tt.want {
			t.Errorf("Clip(%d bytes) = %q; want %q", len(tt.in), got, tt.want)
		}
	}
	if got := QuoteInput(strings.Repeat("\x00", 100)); utf8.RuneCountInString(got) > 4*maxQuoted+3 {
		t.Errorf("QuoteInput of 100 NULs is %d characters", utf8.RuneCountInString(got))
	}
}

func TestClipPath(t *testing.T) {
	n := strings.Repeat("n", 100)
	clipped := strings.Repeat("n", 40) + "…" + strings.Repeat("n", 24)
	tests := []struct{ in, want string }{
		{"resources.api.container.env.A", "resources.api.container.env.A"},
		{"resources." + n + ".container.depends_on[0]", "resources." + clipped + ".container.depends_on[0]"},
		{"resources.api.container.env[\"" + n + " x\"]", "resources.api.container.env[\"" + strings.Repeat("n", 40) + "…" + strings.Repeat("n", 22) + " x\"]"},
		{"resources.api.container.env[\"" + n, "resources.api.container.env[\"" + clipped}, // unterminated: clipped as text
	}
	for _, tt := range tests {
		if got := ClipPath(tt.in); got != tt.want {
			t.Errorf("ClipPath(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// Issue 12 item 8: a 20 kB resource name gives one short line naming the rule, and
// every other diagnostic quoting it stays short too.
func TestLongResourceNameShortDiagnostics(t *testing.T) {
	n := strings.Repeat("a", 20000)
	src := shopWith("  ? " + n + "\n  : container:\n      image: busybox:1\n      depends_on: [" + n + "x]\n" +
		"      env:\n        ? " + strings.Repeat("K", 20000) + "\n        : v\n")
	_, ds := decodeYAML(t, src)
	if len(withCode(ds, "invalid-resource-name")) != 1 {
		t.Fatalf("want one invalid-resource-name:\n%.2000s", ds.Error())
	}
	for _, d := range ds {
		if len(d.String()) > 300 || len(d.Path) > 200 || len(d.Resource) > 100 {
			t.Errorf("diagnostic %s is %d bytes long (path %d, resource %d): %.300s", d.Code, len(d.String()), len(d.Path), len(d.Resource), d.String())
		}
	}
	d := withCode(ds, "invalid-resource-name")[0]
	if !strings.Contains(d.Message, "must match ^[a-z][a-z0-9_-]{0,31}$") || !strings.Contains(d.Message, `"`+n[:40]+"…"+n[:24]+`"`) {
		t.Errorf("message = %q", d.Message)
	}
}
