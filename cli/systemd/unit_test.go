package systemd

import (
	"strings"
	"testing"
)

// systemd.service(5) "Command lines" and systemd.unit(5) "Specifiers".
func TestUnitWordQuoting(t *testing.T) {
	tests := []struct{ in, word, exec string }{
		{"/usr/bin/lsctl", "/usr/bin/lsctl", "/usr/bin/lsctl"},
		{"/srv/my stack", `"/srv/my stack"`, `"/srv/my stack"`},
		{"tab\there", "\"tab\there\"", "\"tab\there\""},
		{`say "hi"`, `"say \"hi\""`, `"say \"hi\""`},
		{`it's`, `"it's"`, `"it's"`},
		{`back\slash`, `"back\\slash"`, `"back\\slash"`},
		{"100%", "100%%", "100%%"},
		{"$HOME", "$HOME", "$$HOME"},
		{"a;b", `"a;b"`, `"a;b"`},
		{"", `""`, `""`},
	}
	for _, tt := range tests {
		if got := unitWord(tt.in); got != tt.word {
			t.Errorf("unitWord(%q) = %s, want %s", tt.in, got, tt.word)
		}
		if got := execLine([]string{tt.in}); got != tt.exec {
			t.Errorf("execLine(%q) = %s, want %s", tt.in, got, tt.exec)
		}
	}
}

// A unit name is a unit file name lsctl and systemd tools agree on.
func TestUnitName(t *testing.T) {
	valid := map[string]string{"shop": "shop.service", "lsctl-shop.service": "lsctl-shop.service",
		"a_b.c-d": "a_b.c-d.service", "9lives": "9lives.service"}
	for in, want := range valid {
		if got, err := UnitName(in); err != nil || got != want {
			t.Errorf("UnitName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", ".service", "my shop", "-shop", ".shop", "shop@1", "a:b", "a/b", `a\x2d`, "é",
		strings.Repeat("a", 248)} {
		if got, err := UnitName(in); err == nil {
			t.Errorf("UnitName(%q) = %q, want an error", in, got)
		}
	}
}
