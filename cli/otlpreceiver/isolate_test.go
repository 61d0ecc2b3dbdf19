package otlpreceiver

import (
	"net"
	"net/netip"
	"testing"
)

// docs/spec/runtime.md §20.1: the project's containers, the gateway and loopback are
// served; another project's subnet and non-TCP peers are not.
func TestProjectOnlyPermits(t *testing.T) {
	l := &projectOnly{allowed: netip.MustParsePrefix("10.214.4.0/24")}
	for addr, want := range map[string]bool{
		"10.214.4.1":   true, // the host, through the gateway
		"10.214.4.7":   true, // a container of the project
		"127.0.0.1":    true,
		"10.214.5.7":   false, // another project's container
		"192.168.1.20": false,
	} {
		if got := l.permits(&net.TCPAddr{IP: net.ParseIP(addr), Port: 40000}); got != want {
			t.Errorf("permits(%s) = %v, want %v", addr, got, want)
		}
	}
	if l.permits(&net.UnixAddr{Name: "/x", Net: "unix"}) {
		t.Error("a non-TCP peer is permitted")
	}
}

// An invalid prefix filters nothing, so that a receiver without a project subnet
// (an external collector in the tests) serves everyone.
func TestOnlyFromWithoutPrefix(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if onlyFrom(ln, netip.Prefix{}, func() {}) != ln {
		t.Error("an invalid prefix wrapped the listener")
	}
}
