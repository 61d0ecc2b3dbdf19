package containerdrt

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strings"
)

// hostResolvConfPaths are the host's resolver configuration and the systemd-resolved
// upstream list used when the first only names loopback resolvers (docs/spec/runtime.md §5.4).
var hostResolvConfPaths = [2]string{"/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"}

// noDNSWarning is printed when containers end up without a nameserver.
const noDNSWarning = "containers have no DNS server (host resolv.conf only lists loopback resolvers)"

// containerResolvConf builds the containers' resolv.conf from the host's: loopback
// nameservers removed, search/options kept; the systemd-resolved upstreams replace
// them when nothing else is left. warn is non-empty when no nameserver remains.
func containerResolvConf(paths [2]string) (content []byte, warn string, err error) {
	host, err := os.ReadFile(paths[0])
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("read %s: %w", paths[0], err)
	}
	kept, servers := filterResolvConf(host)
	if servers == 0 {
		if upstream, err := os.ReadFile(paths[1]); err == nil {
			for _, line := range nameserverLines(upstream) {
				kept = append(kept, line)
				servers++
			}
		}
	}
	if servers == 0 {
		warn = noDNSWarning
	}
	var b bytes.Buffer
	for _, line := range kept {
		b.WriteString(line + "\n")
	}
	return b.Bytes(), warn, nil
}

// filterResolvConf returns the lines of a resolv.conf without loopback nameservers,
// and how many nameserver lines remain.
func filterResolvConf(data []byte) (lines []string, servers int) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if addr, ok := nameserverAddr(line); ok {
			if addr.IsLoopback() {
				continue
			}
			servers++
		}
		lines = append(lines, line)
	}
	return lines, servers
}

// nameserverLines returns the non-loopback nameserver lines of a resolv.conf.
func nameserverLines(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if addr, ok := nameserverAddr(sc.Text()); ok && !addr.IsLoopback() {
			out = append(out, sc.Text())
		}
	}
	return out
}

// nameserverAddr parses a `nameserver ADDR` line (an IPv6 zone is allowed).
func nameserverAddr(line string) (netip.Addr, bool) {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "nameserver" {
		return netip.Addr{}, false
	}
	addr, err := netip.ParseAddr(f[1])
	return addr, err == nil
}

// warnf reports a warning through lsctl's diagnostic log; the CLI turns warnings of
// EnsureNetwork into user-visible lines.
func (c *Client) warnf(format string, args ...any) {
	c.logger().Warn(fmt.Sprintf(format, args...))
}
