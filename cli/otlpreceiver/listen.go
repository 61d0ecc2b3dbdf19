package otlpreceiver

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// Listen listens on ip:port with IP_FREEBIND, so that the receiver can bind the
// project bridge's gateway address before the bridge has it: the CNI bridge plugin
// gives the bridge its address when the first container is attached, and the
// receiver must already answer that container's first export.
func Listen(ip netip.Addr, port int) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_IP, unix.IP_FREEBIND, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	addr := net.JoinHostPort(ip.String(), strconv.Itoa(port))
	ln, err := lc.Listen(context.Background(), "tcp4", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}
