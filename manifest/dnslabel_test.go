package manifest

import (
	"hash/fnv"
	"strings"
	"testing"
)

// TestDNSLabel covers every test vector of §19 and checklist item 55.
func TestDNSLabel(t *testing.T) {
	tests := []struct{ in, want string }{
		{"foo-bar", "foo-bar"},          // §29 item 55
		{"foo_bar", "foo-bar-01efffdd"}, // §29 item 55
		{"foo-bar-", "foo-bar-695575ae"},
		{"foo_bar_", "foo-bar-8ecf39a6"},
		{"my_app", "my-app-f8559637"}, // §29 item 55
		{"my_app_", "my-app-56bbc5b8"},
		{"lightshuttle_it", "lightshuttle-it-bfed0020"}, // §29 item 55
		{"___", "045a3b34"},                             // §29 item 55
		{"MyService", "myservice-24f63d96"},
		{"a.b.c", "a-b-c-d17e547f"},
		{"shop", "shop"},
		{"1numeric", "1numeric"},
		{strings.Repeat("a", 63), strings.Repeat("a", 63)},
	}
	for _, tt := range tests {
		if got := DNSLabel(tt.in); got != tt.want {
			t.Errorf("DNSLabel(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// TestDNSLabelSanitising checks §19 step 4 on inputs the table does not reach: the
// 54-character cut, trailing "-" after the cut, code points and the empty string.
func TestDNSLabelSanitising(t *testing.T) {
	long := strings.Repeat("a", 64)
	if got := DNSLabel(long); got != strings.Repeat("a", 54)+"-"+FNV32a(long) {
		t.Errorf("DNSLabel(64 × a) = %q", got)
	}
	cut := strings.Repeat("a", 53) + "_b"
	if got := DNSLabel(cut); got != strings.Repeat("a", 53)+"-"+FNV32a(cut) {
		t.Errorf("DNSLabel(%q) = %q; a trailing - after the cut must go", cut, got)
	}
	if got := DNSLabel("élève"); got != "l-ve-"+FNV32a("élève") {
		t.Errorf("DNSLabel(élève) = %q; each code point is one -", got)
	}
	if got := DNSLabel(""); got != FNV32a("") || got != "811c9dc5" {
		t.Errorf("DNSLabel(\"\") = %q; want the offset basis", got)
	}
}

// TestFNV32a compares with the standard library's FNV-1a (§19 step 3).
func TestFNV32a(t *testing.T) {
	for _, s := range []string{"", "foo_bar", "élève", "\x00\xff"} {
		h := fnv.New32a()
		h.Write([]byte(s))
		want := h.Sum32()
		got := FNV32a(s)
		var n uint32
		for _, c := range got {
			n = n<<4 | uint32(strings.IndexRune("0123456789abcdef", c))
		}
		if len(got) != 8 || n != want {
			t.Errorf("FNV32a(%q) = %q; want %08x", s, got, want)
		}
	}
}

// FuzzDNSLabel checks that the output is always a DNS label, is deterministic, keeps
// DNS labels unchanged and is idempotent.
func FuzzDNSLabel(f *testing.F) {
	for _, s := range []string{"foo_bar", "___", "MyService", "shop", strings.Repeat("x_", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := DNSLabel(s)
		if !IsDNSLabel(got) {
			t.Fatalf("DNSLabel(%q) = %q is not a DNS label", s, got)
		}
		if again := DNSLabel(s); again != got {
			t.Fatalf("DNSLabel(%q) is not deterministic: %q then %q", s, got, again)
		}
		if DNSLabel(got) != got {
			t.Fatalf("DNSLabel(%q) = %q is not kept as is", s, got)
		}
		if IsDNSLabel(s) != (got == s) {
			t.Fatalf("DNSLabel(%q) = %q: a label must be kept, anything else changed", s, got)
		}
	})
}
