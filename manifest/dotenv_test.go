package manifest

import (
	"errors"
	"maps"
	"testing"
)

// TestParseDotenvLines covers every row of the §24.2 table and checklist item 83.
func TestParseDotenvLines(t *testing.T) {
	tests := []struct{ line, key, value string }{
		{"DB_URL=postgres://localhost/db", "DB_URL", "postgres://localhost/db"},
		{"export API_KEY=secret", "API_KEY", "secret"},           // §29 item 83
		{`SECRET="hello world" # note`, "SECRET", "hello world"}, // §29 item 83
		{`TOKEN='a#b'`, "TOKEN", "a#b"},
		{"LEVEL=debug # verbose", "LEVEL", "debug"},     // §29 item 83
		{"URL=http://x/#frag", "URL", "http://x/#frag"}, // §29 item 83
		{`QUOTE="unterminated`, "QUOTE", `"unterminated`},
		{"EMPTY=", "EMPTY", ""},
		{"exportKEY=v", "exportKEY", "v"},
		{"export\tTAB=v", "TAB", "v"},
		{"export=1", "export", "1"},
		{"  KEY  =  spaced value  ", "KEY", "spaced value"},
		{"A=b=c", "A", "b=c"},
		{`Q='it"s' trailing`, "Q", `it"s`},
		{`D=""`, "D", ""},
		{"N=a  # c", "N", "a"},
		{"H=#not-a-comment", "H", "#not-a-comment"},
		{`E=no\nescape`, "E", `no\nescape`},
		{"V=$OTHER ${X}", "V", "$OTHER ${X}"},
	}
	for _, tt := range tests {
		got, err := ParseDotenv(".env", []byte(tt.line+"\n"))
		want := map[string]string{tt.key: tt.value}
		if err != nil || !maps.Equal(got, want) {
			t.Errorf("ParseDotenv(%q) = %v, %v; want %v", tt.line, got, err, want)
		}
	}
}

// TestParseDotenvFile checks the file-level rules: BOM, blank and comment lines, CRLF,
// last occurrence wins, no trailing newline.
func TestParseDotenvFile(t *testing.T) {
	data := "\xEF\xBB\xBF# comment\r\n\r\nA=1\r\n   # indented comment\nB=2\nA=3\n\tC = x "
	got, err := ParseDotenv("f.env", []byte(data))
	want := map[string]string{"A": "3", "B": "2", "C": "x"}
	if err != nil || !maps.Equal(got, want) {
		t.Errorf("ParseDotenv = %v, %v; want %v", got, err, want)
	}
	if got, err := ParseDotenv(".env", nil); err != nil || len(got) != 0 || got == nil {
		t.Errorf("empty file: %v, %v; want an empty map", got, err)
	}
}

// TestParseDotenvErrors covers checklist item 84: errors name the file and the line.
func TestParseDotenvErrors(t *testing.T) {
	tests := []struct {
		data, msg string
		line      int
		reason    string
	}{
		{"A=1\n\n# c\nJUST_A_WORD\n", `.env:4: expected KEY=VALUE, got "JUST_A_WORD"`, 4, `expected KEY=VALUE, got "JUST_A_WORD"`}, // §29 item 84
		{"=v", ".env:1: empty key", 1, "empty key"}, // §29 item 84
		{"A=1\n  = v", ".env:2: empty key", 2, "empty key"},
		{"export FOO", `.env:1: expected KEY=VALUE, got "export FOO"`, 1, `expected KEY=VALUE, got "export FOO"`},
		{"export =x", ".env:1: empty key", 1, "empty key"},
	}
	for _, tt := range tests {
		_, err := ParseDotenv(".env", []byte(tt.data))
		var de *DotenvError
		if !errors.As(err, &de) {
			t.Errorf("ParseDotenv(%q) = %v; want *DotenvError", tt.data, err)
			continue
		}
		if err.Error() != tt.msg || de.Line != tt.line || de.Reason != tt.reason || de.File != ".env" {
			t.Errorf("ParseDotenv(%q) = %+v (%q); want %q", tt.data, de, err.Error(), tt.msg)
		}
	}
}

// FuzzParseDotenv checks that parsing never panics, that an error always names the file
// and a line within the input, and that every parsed key is non-empty and trimmed.
func FuzzParseDotenv(f *testing.F) {
	for _, s := range []string{"A=1\nB=2", "export API_KEY=secret", `SECRET="hello world" # note`, "JUST_A_WORD", "=v", "\xEF\xBB\xBFA='x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := ParseDotenv("x.env", data)
		if err != nil {
			var de *DotenvError
			if !errors.As(err, &de) || de.File != "x.env" || de.Line < 1 || de.Line > len(data)+1 || de.Reason == "" {
				t.Fatalf("ParseDotenv(%q) error %#v", data, err)
			}
			return
		}
		for k := range vars {
			if k == "" || k != trimmed(k) {
				t.Fatalf("ParseDotenv(%q) produced key %q", data, k)
			}
		}
	})
}

// trimmed trims like strings.TrimSpace, spelled out so the test does not share the
// implementation's call.
func trimmed(s string) string {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' }
	for s != "" && isSpace(s[0]) {
		s = s[1:]
	}
	for s != "" && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}
