package integration

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/plan"
)

// netTraces lists what a removed container must not leave behind (docs/spec/runtime.md §5.3
// step 4): its pinned namespace file and mount, its CNI cache entries, and iptables
// rules naming its id or address.
func netTraces(t *testing.T, e *rtEnv, id, ip string) []string {
	t.Helper()
	var left []string
	pin := filepath.Join("/run/lsctl/netns", rtNamespace, id)
	if _, err := os.Lstat(pin); err == nil {
		left = append(left, "netns pin "+pin)
	}
	if mi, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mi), pin) {
		left = append(left, "netns mount "+pin)
	}
	cache, _ := filepath.Glob(filepath.Join(e.dataRoot, "cni", "cache", "results", "*-"+id+"-*"))
	left = append(left, cache...)
	out, err := exec.Command("iptables-save").Output()
	if err != nil {
		t.Fatalf("iptables-save: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, `"`+id+`"`) || strings.Contains(line, " "+ip+"/32 ") || strings.Contains(line, ip+":") {
			left = append(left, "iptables: "+line)
		}
	}
	return left
}

// docs/spec/runtime.md §5.3 step 4, §5.5: Remove leaves no namespace, CNI state or iptables
// rule behind, twice in a row; TeardownNetwork then removes bridge, rules, conflist
// and record.
func TestNetworkCleanup(t *testing.T) {
	e := newRTEnv(t)
	p := e.newRTProject(t, "netclean", map[string][]string{"web": httpdCommand("x")})
	p.spec("web").Ports = publish(freeLocalPort(t), 80)
	if _, err := e.c.PreflightPorts(e.ctx, p.plan, false); err != nil {
		t.Fatal(err)
	}
	ctr := p.start(t, "web")
	id, ip := ctr.ID(), ctr.IP()
	if left := netTraces(t, e, id, ip); len(left) < 3 {
		t.Fatalf("a running container shows too few traces for this check to mean anything: %v", left)
	}
	if _, err := e.c.Stop(e.ctx, id, "SIGKILL", 0); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := e.c.Remove(e.ctx, id); err != nil {
			t.Fatalf("Remove #%d: %v", i+1, err)
		}
		if left := netTraces(t, e, id, ip); len(left) != 0 {
			t.Fatalf("after Remove #%d:\n%s", i+1, strings.Join(left, "\n"))
		}
	}

	bridge := p.plan.Network.Bridge
	if _, err := net.InterfaceByName(bridge); err != nil {
		t.Fatalf("bridge %s missing before teardown: %v", bridge, err)
	}
	if err := e.c.TeardownNetwork(e.ctx, p.plan.Project); err != nil {
		t.Fatal(err)
	}
	if _, err := net.InterfaceByName(bridge); err == nil {
		t.Errorf("bridge %s still exists", bridge)
	}
	if out, _ := exec.Command("iptables-save").Output(); strings.Contains(string(out), bridge) {
		t.Errorf("iptables still names %s", bridge)
	}
	name := plan.NetworkName(p.plan.Project)
	for _, path := range []string{
		filepath.Join(e.dataRoot, "networks", name+".json"),
		filepath.Join(e.dataRoot, "cni", name+".conflist"),
	} {
		if _, err := os.Stat(path); err == nil {
			t.Errorf("%s still exists", path)
		}
	}
}
