package manifest

import (
	"net/netip"
	"strings"
	"testing"
)

// TestParsePortValid covers the accepted forms of §14 and checklist item 41.
func TestParsePortValid(t *testing.T) {
	tests := []struct {
		text  string
		isInt bool
		want  PortMapping
	}{
		{"8080", true, PortMapping{"127.0.0.1", 8080, 8080}},           // §29 item 41
		{"9090:80", false, PortMapping{"127.0.0.1", 9090, 80}},         // §29 item 41
		{"0.0.0.0:9090:80", false, PortMapping{"0.0.0.0", 9090, 80}},   // §29 item 41
		{"  3000:3000\t", false, PortMapping{"127.0.0.1", 3000, 3000}}, // surrounding whitespace
		{"1", true, PortMapping{"127.0.0.1", 1, 1}},
		{"65535", true, PortMapping{"127.0.0.1", 65535, 65535}},
		{"+80", true, PortMapping{"127.0.0.1", 80, 80}},
		{"017", true, PortMapping{"127.0.0.1", 17, 17}},
		{"192.168.1.10:8443:443", false, PortMapping{"192.168.1.10", 8443, 443}},
		{"010.0.0.1:80:80", false, PortMapping{"10.0.0.1", 80, 80}},
		{"255.255.255.255:65535:1", false, PortMapping{"255.255.255.255", 65535, 1}},
		{"00080:00081", false, PortMapping{"127.0.0.1", 80, 81}},
	}
	for _, tt := range tests {
		got, err := ParsePort(tt.text, tt.isInt)
		if err != nil || got != tt.want {
			t.Errorf("ParsePort(%q, %v) = %+v, %v; want %+v", tt.text, tt.isInt, got, err, tt.want)
		}
	}
}

// TestParsePortErrors covers every row of the §14 error table (the YAML float row is
// the decoder's type-mismatch) and checklist item 42.
func TestParsePortErrors(t *testing.T) {
	tests := []struct {
		text   string
		isInt  bool
		reason string
	}{
		{"0", true, "port out of range 1–65535"},
		{"70000", true, "port out of range 1–65535"}, // §29 item 42
		{"-80", true, "port out of range 1–65535"},
		{"99999999999999999999999", true, "port out of range 1–65535"},
		{"0:80", false, "port out of range 1–65535"},
		{"80:0", false, "port out of range 1–65535"},
		{"80:65536", false, "port out of range 1–65535"},
		{"80:000080", false, "port out of range 1–65535"},
		{"80", false, "a string needs HOST:CONTAINER; write the integer 80 for the short form"}, // §29 item 42
		{"8080:80/tcp", false, "protocol suffixes are not supported (only TCP is published)"},   // §29 item 42
		{"53:53/udp", false, "protocol suffixes are not supported"},
		{"80/tcp", false, "protocol suffixes are not supported"},
		{"8000-8010:8000-8010", false, "port ranges are not supported"},
		{"8000-8010:80", false, "port ranges are not supported"},
		{"[::1]:80:80", false, "IPv6 addresses are not supported"}, // §29 item 42
		{"::1:80:80", false, "IPv6 addresses are not supported"},
		{"fe80:0:0:0:0:0:0:1:80:80", false, "IPv6 addresses are not supported"},
		{"localhost:80:80", false, "the address must be an IPv4 literal"},
		{"1.2.3:80:80", false, "the address must be an IPv4 literal"},
		{"256.0.0.1:80:80", false, "the address must be an IPv4 literal"},
		{"+1.2.3.4:80:80", false, "the address must be an IPv4 literal"},
		{"a:b:c:d", false, "not a mapping"},
		{"x:80", false, `"x" is not a number`},
		{"80:+80", false, `"+80" is not a number`},
		{"abc", false, "not a mapping"},
		{"", false, "the mapping is empty"},
		{"   ", false, "the mapping is empty"},
		{"80 :80", false, "whitespace is not allowed inside a mapping"},
		{"0x10", true, `"0x10" is not a number`},
	}
	for _, tt := range tests {
		_, err := ParsePort(tt.text, tt.isInt)
		if err == nil || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("ParsePort(%q, %v) error %v; want one containing %q", tt.text, tt.isInt, err, tt.reason)
		}
	}
}

// FuzzParsePort checks that parsing never panics and that every accepted mapping has
// ports in 1..65535 and an IPv4 host address.
func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"8080", "9090:80", "0.0.0.0:9090:80", "8080:80/tcp", "[::1]:80:80", "a:b:c:d"} {
		f.Add(s, false)
	}
	f.Add("8080", true)
	f.Fuzz(func(t *testing.T, s string, isInt bool) {
		m, err := ParsePort(s, isInt)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParsePort(%q): empty reason", s)
			}
			return
		}
		if m.HostPort == 0 || m.ContainerPort == 0 {
			t.Fatalf("ParsePort(%q, %v) = %+v: port 0", s, isInt, m)
		}
		if a, err := netip.ParseAddr(m.HostIP); err != nil || !a.Is4() {
			t.Fatalf("ParsePort(%q, %v) = %+v: host address is not IPv4", s, isInt, m)
		}
	})
}
