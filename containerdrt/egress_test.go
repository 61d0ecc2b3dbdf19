package containerdrt

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// outsideNet is a network namespace joined to the host by a veth pair on a /30 of its
// own, with no route beyond it: what a container reaches there arrives forwarded by
// the host, and only a masqueraded sender can be answered.
type outsideNet struct {
	path     string // the pinned namespace
	hostAddr string // the host's end
	addr     string // the namespace's end
}

func newOutsideNet(t *testing.T) *outsideNet {
	t.Helper()
	name := "lsout" + strconv.Itoa(os.Getpid()%100000)
	o := &outsideNet{path: "/run/netns/" + name, hostAddr: "10.254.251.1", addr: "10.254.251.2"}
	host, peer := name+"h", name+"n"
	steps := [][]string{
		{"netns", "add", name},
		{"link", "add", host, "type", "veth", "peer", "name", peer},
		{"link", "set", peer, "netns", name},
		{"addr", "add", o.hostAddr + "/30", "dev", host},
		{"link", "set", host, "up"},
		{"-n", name, "addr", "add", o.addr + "/30", "dev", peer},
		{"-n", name, "link", "set", peer, "up"},
	}
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "delete", host).Run()
		_ = exec.Command("ip", "netns", "delete", name).Run()
	})
	for _, s := range steps {
		if out, err := exec.Command("ip", s...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", s, err, out)
		}
	}
	return o
}

// serveSenders answers HTTP on port 80 inside the namespace with the address each
// request came from.
func (o *outsideNet) serveSenders(t *testing.T) {
	t.Helper()
	lnCh := make(chan net.Listener, 1)
	errCh := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread leaves with the namespace
		fd, err := unix.Open(o.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			err = unix.Setns(fd, unix.CLONE_NEWNET)
			unix.Close(fd)
		}
		if err != nil {
			errCh <- err
			return
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(o.addr, "80"))
		if err != nil {
			errCh <- err
			return
		}
		lnCh <- ln
	}()
	select {
	case err := <-errCh:
		t.Fatalf("listen in %s: %v", o.path, err)
	case ln := <-lnCh:
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			fmt.Fprint(w, host)
		})}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { _ = srv.Close() })
	}
}

// docs/spec/runtime.md §5.1, §17 item 111: a container's traffic to a host outside the
// project network leaves masqueraded behind the host's address, through lsctl's rule for
// the whole network (no rule names the container), and the rule goes with the network.
func TestLiveEgressMasquerade(t *testing.T) {
	c := liveNet(t)
	o := newOutsideNet(t)
	o.serveSenders(t)
	p, paths := liveProject(t, c, "nle"+strconv.Itoa(os.Getpid()), "client", "peer")
	got, err := fetch(paths["client"], net.JoinHostPort(o.addr, "80"))
	if err != nil {
		t.Fatalf("GET from the container to %s: %v", o.addr, err)
	}
	if got != o.hostAddr {
		t.Fatalf("the outside saw the sender %q, want the host's %s (container %s)", got, o.hostAddr, p.Nodes[0].Spec.IP)
	}
	out, err := exec.Command("iptables-save").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range p.Nodes {
		if lines := grepLines(string(out), n.Spec.IP.String()+"/32"); lines != "" {
			t.Errorf("a rule names container %s, attached without published ports:\n%s", n.Name, lines)
		}
	}
	t.Run("on a host whose FORWARD policy is DROP", func(t *testing.T) {
		// As on hosts with Docker installed: lsctl's rules accept the network's own
		// traffic, its egress and the replies, without the CNI firewall plugin.
		if out, err := exec.Command("iptables", "-w", "-P", "FORWARD", "DROP").CombinedOutput(); err != nil {
			t.Fatalf("iptables -P FORWARD DROP: %v: %s", err, out)
		}
		defer func() { _ = exec.Command("iptables", "-w", "-P", "FORWARD", "ACCEPT").Run() }()
		if got, err := fetch(paths["client"], net.JoinHostPort(o.addr, "80")); err != nil || got != o.hostAddr {
			t.Errorf("egress under DROP: sender %q, %v", got, err)
		}
		serveHTTP(t, paths["peer"], "hello from peer")
		peer := net.JoinHostPort(p.Nodes[1].Spec.IP.String(), "80")
		if got, err := fetch(paths["client"], peer); err != nil || got != "hello from peer" {
			t.Errorf("same project under DROP: %q, %v", got, err)
		}
	})
	t.Run("the masquerade is what answers it", func(t *testing.T) {
		n := netRules{bridge: p.Network.Bridge, network: p.Network.Name, subnet: p.Network.Subnet}
		masq := networkRules(n)[4]
		if err := iptablesIn(t.Context(), masq.table, masq.deleteLine()...); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.isolation().ensure(t.Context(), n) }()
		if got, err := fetch(paths["client"], net.JoinHostPort(o.addr, "80")); err == nil {
			t.Fatalf("without lsctl's masquerade rule the outside still answered (sender %q)", got)
		}
	})
}
