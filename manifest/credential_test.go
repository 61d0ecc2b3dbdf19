package manifest

import (
	"net/url"
	"testing"
)

// TestEncodeCredential covers every row of §20 and checklist items 56 and 57.
func TestEncodeCredential(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"s3cret", "s3cret"},
		{"p@ss:w/rd", "p%40ss%3Aw%2Frd"}, // §29 item 56
		{"100%pure", "100%25pure"},       // §29 item 57
		{"a b", "a%20b"},
		{"why?", "why%3F"},
		{"a#b", "a%23b"},
		{"élève", "%C3%A9l%C3%A8ve"}, // §29 item 57
		{"main/db", "main%2Fdb"},
		{"", ""},
		{"A-Z.a_z~09", "A-Z.a_z~09"},
		{"!$&'()*+,;=", "%21%24%26%27%28%29%2A%2B%2C%3B%3D"},
		{"\x00\xff", "%00%FF"},
	}
	for _, tt := range tests {
		got := EncodeCredential(tt.raw)
		if got != tt.want {
			t.Errorf("EncodeCredential(%q) = %q; want %q", tt.raw, got, tt.want)
		}
		if back, err := url.PathUnescape(got); err != nil || back != tt.raw {
			t.Errorf("EncodeCredential(%q) = %q does not decode back: %q, %v", tt.raw, got, back, err)
		}
	}
}

// TestCredentialURL checks the §12 postgres url example (checklist item 56) parses back
// to the raw credentials with a standard URL parser.
func TestCredentialURL(t *testing.T) {
	u := "postgres://" + EncodeCredential("app") + ":" + EncodeCredential("p@ss:w/rd") + "@db:5432/" + EncodeCredential("shop")
	if u != "postgres://app:p%40ss%3Aw%2Frd@db:5432/shop" {
		t.Fatalf("url = %q", u)
	}
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	if pw, _ := p.User.Password(); pw != "p@ss:w/rd" || p.User.Username() != "app" || p.Host != "db:5432" {
		t.Errorf("parsed back to user %q password %q host %q", p.User.Username(), pw, p.Host)
	}
}
