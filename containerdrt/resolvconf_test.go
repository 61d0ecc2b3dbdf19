package containerdrt

import (
	"os"
	"path/filepath"
	"testing"
)

// docs/spec/runtime.md §5.4: loopback nameservers removed, search/options kept, systemd-resolved
// upstreams as a fallback, a warning when none remain.
func TestContainerResolvConf(t *testing.T) {
	tests := []struct {
		name, host, resolved string // "" resolved = file absent
		want, warn           string
	}{
		{"plain", "nameserver 192.168.1.1\nsearch lan\n", "", "nameserver 192.168.1.1\nsearch lan\n", ""},
		{"loopback removed, rest kept",
			"# generated\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver ::1\noptions edns0 trust-ad\nsearch example.com\n", "",
			"# generated\nnameserver 10.0.0.2\noptions edns0 trust-ad\nsearch example.com\n", ""},
		{"systemd fallback",
			"nameserver 127.0.0.53\noptions edns0\nsearch corp\n",
			"nameserver 1.1.1.1\nnameserver 127.0.0.1\nnameserver 2606:4700::1111\nsearch ignored\n",
			"options edns0\nsearch corp\nnameserver 1.1.1.1\nnameserver 2606:4700::1111\n", ""},
		{"nothing left", "nameserver 127.0.0.1\nsearch x\n", "", "search x\n", noDNSWarning},
		{"ipv6 zone kept", "nameserver fe80::1%eth0\n", "", "nameserver fe80::1%eth0\n", ""},
		{"no host file", "", "", "", noDNSWarning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			paths := [2]string{filepath.Join(dir, "resolv.conf"), filepath.Join(dir, "resolved.conf")}
			if tt.host != "" {
				if err := os.WriteFile(paths[0], []byte(tt.host), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tt.resolved != "" {
				if err := os.WriteFile(paths[1], []byte(tt.resolved), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, warn, err := containerResolvConf(paths)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want || warn != tt.warn {
				t.Errorf("got %q (warn %q), want %q (warn %q)", got, warn, tt.want, tt.warn)
			}
		})
	}
}
