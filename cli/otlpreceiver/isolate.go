package otlpreceiver

import (
	"net"
	"net/netip"
)

// reasonForeignSource counts connections refused because they came from outside the
// project (docs/spec/runtime.md §20.1).
const reasonForeignSource = "foreign_source"

// projectOnly is a listener that serves the project's own containers and the host,
// and closes any other connection as soon as it is accepted.
//
// Why a source check in the listener rather than a firewall rule: the receiver binds
// the project bridge's gateway, an address of the host, so a container of another
// project on the same host reaches it through the INPUT path of its own bridge (the
// host routes between bridges; no FORWARD rule applies). Locally delivered packets are
// never masqueraded (POSTROUTING is not on their path), so the source address the
// listener sees is the sender's real container address: inside the project subnet
// for the project's own containers, the gateway itself or loopback for the host's
// processes, another bridge's subnet for anyone else. Checking it here needs no
// iptables state that a reboot, a CNI cleanup or another tool could lose or reorder,
// covers HTTP and gRPC alike, and fails closed. A spoofed source address in the
// project subnet cannot complete the TCP handshake: the answer goes to the project's
// bridge, not to the spoofer.
type projectOnly struct {
	net.Listener
	allowed netip.Prefix
	refused func()
}

// onlyFrom wraps ln so that only sources in allowed (and loopback) are served;
// refused is called once per closed connection. An invalid prefix filters nothing.
func onlyFrom(ln net.Listener, allowed netip.Prefix, refused func()) net.Listener {
	if ln == nil || !allowed.IsValid() {
		return ln
	}
	return &projectOnly{Listener: ln, allowed: allowed.Masked(), refused: refused}
}

// Accept returns the next connection from an allowed source.
func (l *projectOnly) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.permits(c.RemoteAddr()) {
			return c, nil
		}
		c.Close()
		l.refused()
	}
}

// permits reports whether a peer is in the project subnet or on loopback.
func (l *projectOnly) permits(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, ok := netip.AddrFromSlice(tcp.IP)
	if !ok {
		return false
	}
	ip = ip.Unmap()
	return ip.IsLoopback() || l.allowed.Contains(ip)
}
