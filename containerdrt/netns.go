package containerdrt

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// netnsRoot is where pinned network namespaces live (docs/spec/runtime.md §1.2).
const netnsRoot = "/run/lsctl/netns"

// netnsPath is the pinned namespace file of a container.
func (c *Client) netnsPath(id string) string {
	return filepath.Join(netnsRoot, c.namespace(), id)
}

// createNetns creates a fresh network namespace pinned by a bind mount at path, with
// its loopback interface up. An existing pin is replaced (a stale one from a crash).
func createNetns(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	if err := removeNetns(path); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return fmt.Errorf("create netns pin %s: %w", path, err)
	}
	f.Close()
	errc := make(chan error, 1)
	// unshare changes the calling thread only: do it on a locked thread that is never
	// unlocked, so Go destroys the thread instead of reusing it in the wrong namespace.
	go func() {
		runtime.LockOSThread()
		errc <- unshareAndPin(path)
	}()
	if err := <-errc; err != nil {
		_ = os.Remove(path)
		return err
	}
	return nil
}

// unshareAndPin runs on a locked, disposable thread.
func unshareAndPin(path string) error {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("create network namespace: %w", err)
	}
	self := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
	if err := unix.Mount(self, path, "none", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("pin network namespace at %s: %w", path, err)
	}
	if err := loopbackUp(); err != nil {
		_ = unix.Unmount(path, unix.MNT_DETACH)
		return err
	}
	return nil
}

// loopbackUp brings `lo` up in the calling thread's network namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bring lo up: socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: read flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: set flags: %w", err)
	}
	return nil
}

// removeNetns unmounts and deletes a pinned namespace; a missing one is fine.
func removeNetns(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil &&
		!errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount network namespace %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove network namespace pin %s: %w", path, err)
	}
	return nil
}

// hostNetworks lists the host's address and non-default route prefixes, which a
// project subnet must not overlap (docs/spec/runtime.md §5.1). Tests inject a fixed list.
type hostNetworks interface {
	Prefixes() ([]netip.Prefix, error)
}

func (c *Client) hostNetworks() hostNetworks {
	if c.net.host != nil {
		return c.net.host
	}
	return kernelNetworks{routeFile: "/proc/net/route"}
}

// kernelNetworks reads the running kernel's interface addresses and IPv4 routes.
type kernelNetworks struct{ routeFile string }

// Prefixes returns every IPv4 interface address (as its network) and every
// non-default IPv4 route.
func (k kernelNetworks) Prefixes() ([]netip.Prefix, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.To4() == nil {
			continue
		}
		ones, _ := ipn.Mask.Size()
		ip, _ := netip.AddrFromSlice(ipn.IP.To4())
		out = append(out, netip.PrefixFrom(ip, ones).Masked())
	}
	routes, err := os.ReadFile(k.routeFile)
	if err != nil {
		return nil, err
	}
	return append(out, parseProcRoutes(string(routes))...), nil
}

// parseProcRoutes parses /proc/net/route (little-endian hex fields), skipping
// default routes.
func parseProcRoutes(text string) []netip.Prefix {
	var out []netip.Prefix
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 || f[0] == "Iface" {
			continue
		}
		dst, err1 := strconv.ParseUint(f[1], 16, 32)
		mask, err2 := strconv.ParseUint(f[7], 16, 32)
		if err1 != nil || err2 != nil || mask == 0 {
			continue
		}
		var d, m [4]byte
		binary.LittleEndian.PutUint32(d[:], uint32(dst))
		binary.LittleEndian.PutUint32(m[:], uint32(mask))
		ones, _ := net.IPMask(m[:]).Size()
		out = append(out, netip.PrefixFrom(netip.AddrFrom4(d), ones).Masked())
	}
	return out
}

// deleteLinkByName deletes a network interface through rtnetlink (RTM_DELLINK).
func deleteLinkByName(name string) error {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil // already gone
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink socket: %w", err)
	}
	defer unix.Close(fd)
	msg := make([]byte, unix.SizeofNlMsghdr+unix.SizeofIfInfomsg)
	binary.NativeEndian.PutUint32(msg[0:4], uint32(len(msg)))
	binary.NativeEndian.PutUint16(msg[4:6], unix.RTM_DELLINK)
	binary.NativeEndian.PutUint16(msg[6:8], unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	binary.NativeEndian.PutUint32(msg[8:12], 1)
	// ifinfomsg: family(1) pad(1) type(2) index(4) flags(4) change(4)
	binary.NativeEndian.PutUint32(msg[unix.SizeofNlMsghdr+4:], uint32(ifc.Index))
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink send: %w", err)
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return fmt.Errorf("netlink receive: %w", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Header.Type == unix.NLMSG_ERROR && len(m.Data) >= 4 {
			if code := int32(binary.NativeEndian.Uint32(m.Data[:4])); code != 0 {
				return fmt.Errorf("delete link %s: %w", name, unix.Errno(-code))
			}
		}
	}
	return nil
}
