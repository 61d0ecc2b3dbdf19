package containerdrt

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/plan"
)

// fakeHost is a fixed list of host address and route prefixes.
type fakeHost []netip.Prefix

func (f fakeHost) Prefixes() ([]netip.Prefix, error) { return f, nil }

// fakeFirewall records isolation calls.
type fakeFirewall struct{ ensured, removed []string }

func (f *fakeFirewall) ensure(_ context.Context, n netRules) error {
	f.ensured = append(f.ensured, n.bridge)
	return nil
}
func (f *fakeFirewall) remove(_ context.Context, n netRules) error {
	f.removed = append(f.removed, n.bridge)
	return nil
}

// testNet is a Client on a temporary data root with fake CNI plugins, host networks,
// links and firewall.
type testNet struct {
	*Client
	links   map[string]bool
	deleted []string
	fw      *fakeFirewall
}

func newTestNet(t *testing.T, host ...netip.Prefix) *testNet {
	t.Helper()
	root := t.TempDir()
	cniDir := filepath.Join(root, "cni-bin")
	if err := os.MkdirAll(cniDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range requiredCNIPlugins {
		if err := os.WriteFile(filepath.Join(cniDir, p), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tn := &testNet{links: map[string]bool{}, fw: &fakeFirewall{}}
	tn.Client = &Client{opts: Options{DataRoot: filepath.Join(root, "data"), Namespace: "lightshuttle", CNIPath: cniDir}}
	tn.net.host = fakeHost(host)
	tn.net.firewall = tn.fw
	tn.net.linkExists = func(name string) bool { return tn.links[name] }
	tn.net.deleteLink = func(name string) error {
		tn.deleted = append(tn.deleted, name)
		delete(tn.links, name)
		return nil
	}
	return tn
}

// testPlan builds a plan of the given resources in declaration order.
func testPlan(project string, resources ...string) *plan.Plan {
	p := &plan.Plan{Project: project}
	p.Network.Name = plan.NetworkName(project)
	p.Network.Bridge = plan.BridgeName(p.Network.Name)
	for i, r := range resources {
		p.Nodes = append(p.Nodes, &plan.Node{Name: r, Index: i, Spec: plan.ContainerSpec{
			ID: plan.ContainerID(project, r), Project: project, Resource: r, HostOffset: i + 2,
		}})
	}
	return p
}

func writeRecord(t *testing.T, c *Client, rec networkRecord) {
	t.Helper()
	if err := writeFileAtomic(c.recordPath(rec.Name), mustJSON(rec), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLowestFreeSubnet(t *testing.T) {
	pool := netip.MustParsePrefix("10.213.0.0/16")
	pfx := netip.MustParsePrefix
	tests := []struct {
		name  string
		pool  netip.Prefix
		taken []netip.Prefix
		want  string
		err   string
	}{
		{"empty pool usage", pool, nil, "10.213.0.0/24", ""},
		{"records skip", pool, []netip.Prefix{pfx("10.213.0.0/24"), pfx("10.213.1.0/24")}, "10.213.2.0/24", ""},
		{"gap is reused", pool, []netip.Prefix{pfx("10.213.0.0/24"), pfx("10.213.2.0/24")}, "10.213.1.0/24", ""},
		{"host route overlapping larger", pool, []netip.Prefix{pfx("10.213.0.0/23")}, "10.213.2.0/24", ""},
		{"host address inside", pool, []netip.Prefix{pfx("10.213.0.77/32")}, "10.213.1.0/24", ""},
		{"unrelated routes", pool, []netip.Prefix{pfx("192.168.1.0/24"), pfx("172.17.0.0/16")}, "10.213.0.0/24", ""},
		{"pool is one /24, used", pfx("10.9.9.0/24"), []netip.Prefix{pfx("10.9.9.0/24")}, "", "no free /24 left in subnet pool 10.9.9.0/24"},
		{"route covering the pool", pfx("10.9.0.0/23"), []netip.Prefix{pfx("10.0.0.0/8")}, "", "no free /24 left in subnet pool 10.9.0.0/23"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lowestFreeSubnet(tt.pool, tt.taken)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("got %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

// docs/spec/runtime.md §17 item 13: two projects get different /24 subnets; host routes are avoided.
func TestEnsureNetworkAllocatesDistinctSubnets(t *testing.T) {
	tn := newTestNet(t, netip.MustParsePrefix("10.213.0.0/24")) // e.g. a host VPN route
	ctx := context.Background()
	a, b := testPlan("alpha", "db"), testPlan("beta", "db")
	if err := tn.EnsureNetwork(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := tn.EnsureNetwork(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got := a.Network.Subnet.String(); got != "10.213.1.0/24" {
		t.Errorf("alpha subnet = %s, want 10.213.1.0/24 (10.213.0.0/24 is a host route)", got)
	}
	if got := b.Network.Subnet.String(); got != "10.213.2.0/24" {
		t.Errorf("beta subnet = %s, want 10.213.2.0/24", got)
	}
	if got := a.Nodes[0].Spec.IP.String(); got != "10.213.1.2" {
		t.Errorf("alpha db IP = %s, want 10.213.1.2", got)
	}
	// Ensure again: same subnet, idempotent.
	again := testPlan("alpha", "db")
	if err := tn.EnsureNetwork(ctx, again); err != nil || again.Network.Subnet != a.Network.Subnet {
		t.Fatalf("second ensure: %v, subnet %s", err, again.Network.Subnet)
	}
	rec, err := readRecord(tn.recordPath(a.Network.Name))
	if err != nil || rec.Gateway != "10.213.1.1" || rec.Bridge != a.Network.Bridge || rec.Version != 1 || rec.Namespace != "lightshuttle" {
		t.Fatalf("record = %+v, %v", rec, err)
	}
	if _, err := os.Stat(tn.conflistPath(a.Network.Name)); err != nil {
		t.Fatalf("conflist missing: %v", err)
	}
	if len(tn.fw.ensured) != 3 || tn.fw.ensured[0] != a.Network.Bridge {
		t.Errorf("isolation ensured for %v", tn.fw.ensured)
	}
}

// up reserves the subnet before the network exists: the record is written, nothing
// is created on the host, EnsureNetwork keeps that subnet, and a foreign record is
// refused.
func TestReserveNetwork(t *testing.T) {
	tn := newTestNet(t, netip.MustParsePrefix("10.213.0.0/24"))
	subnet, err := tn.ReserveNetwork("alpha")
	if err != nil || subnet.String() != "10.213.1.0/24" {
		t.Fatalf("reserve = %s, %v; want 10.213.1.0/24", subnet, err)
	}
	if _, err := os.Stat(tn.conflistPath(plan.NetworkName("alpha"))); err == nil {
		t.Error("reserving wrote the conflist")
	}
	if len(tn.fw.ensured) != 0 {
		t.Errorf("reserving installed isolation rules for %v", tn.fw.ensured)
	}
	if again, err := tn.ReserveNetwork("alpha"); err != nil || again != subnet {
		t.Errorf("second reserve = %s, %v", again, err)
	}
	p := testPlan("alpha", "db")
	if err := tn.EnsureNetwork(context.Background(), p); err != nil || p.Network.Subnet != subnet {
		t.Fatalf("ensure after reserve: %v, subnet %s", err, p.Network.Subnet)
	}
	writeRecord(t, tn.Client, networkRecord{Version: 1, Name: plan.NetworkName("b"), Project: "a", Namespace: "lightshuttle", Subnet: "10.213.9.0/24"})
	if _, err := tn.ReserveNetwork("b"); !errors.Is(err, ErrNotOwned) {
		t.Errorf("reserve of a foreign network: %v, want ErrNotOwned", err)
	}
}

// docs/spec/runtime.md §5.2: recorded resources keep their address, new ones take the lowest
// free one in declaration order, removed ones are released.
func TestEnsureNetworkKeepsRecordedAddresses(t *testing.T) {
	tn := newTestNet(t)
	name := plan.NetworkName("shop")
	writeRecord(t, tn.Client, networkRecord{
		Version: 1, Name: name, Project: "shop", Namespace: "lightshuttle", Subnet: "10.213.7.0/24",
		Gateway: "10.213.7.1", Bridge: plan.BridgeName(name),
		Addresses: map[string]string{"api": "10.213.7.2", "gone": "10.213.7.3", "db": "10.213.7.5"},
	})
	p := testPlan("shop", "web", "db", "api", "cache")
	if err := tn.EnsureNetwork(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"web": "10.213.7.3", "db": "10.213.7.5", "api": "10.213.7.2", "cache": "10.213.7.4"}
	for _, n := range p.Nodes {
		if n.Spec.IP.String() != want[n.Name] || p.Network.Offsets[n.Name] != n.Spec.HostOffset {
			t.Errorf("%s: IP %s offset %d (network %d), want %s", n.Name, n.Spec.IP, n.Spec.HostOffset, p.Network.Offsets[n.Name], want[n.Name])
		}
	}
	rec, _ := readRecord(tn.recordPath(name))
	if len(rec.Addresses) != 4 || rec.Addresses["gone"] != "" || rec.Addresses["cache"] != "10.213.7.4" {
		t.Errorf("record addresses = %v", rec.Addresses)
	}
}

// docs/spec/runtime.md §17 item 15: a record of project a under b's network name.
func TestNetworkRecordOfAnotherProject(t *testing.T) {
	tn := newTestNet(t)
	name := plan.NetworkName("b")
	writeRecord(t, tn.Client, networkRecord{Version: 1, Name: name, Project: "a", Namespace: "lightshuttle", Subnet: "10.213.0.0/24"})
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"up of b", func() error { return tn.EnsureNetwork(context.Background(), testPlan("b", "db")) },
			`network "lightshuttle-b" belongs to project "a" (namespace "lightshuttle"), not "b"`},
		{"down of b", func() error { return tn.TeardownNetwork(context.Background(), "b") },
			`network "lightshuttle-b" belongs to project "a" (namespace "lightshuttle"), not "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil || err.Error() != tt.want || !errors.Is(err, ErrNotOwned) {
				t.Fatalf("err = %v, want %q wrapping ErrNotOwned", err, tt.want)
			}
			if _, err := os.Stat(tn.recordPath(name)); err != nil {
				t.Fatalf("foreign record was deleted: %v", err)
			}
		})
	}
	if len(tn.deleted) != 0 {
		t.Errorf("deleted links %v", tn.deleted)
	}
}

func TestNetworkRecordOfAnotherNamespace(t *testing.T) {
	tn := newTestNet(t)
	name := plan.NetworkName("b")
	writeRecord(t, tn.Client, networkRecord{Version: 1, Name: name, Project: "b", Namespace: "other", Subnet: "10.213.0.0/24"})
	err := tn.EnsureNetwork(context.Background(), testPlan("b", "db"))
	want := `network "lightshuttle-b" belongs to project "b" (namespace "other"), not "b"`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

// docs/spec/runtime.md §17 item 16: a bridge or conflist with the derived name but no record.
func TestNetworkNotCreatedByLsctl(t *testing.T) {
	const want = `network "lightshuttle-shop" exists and was not created by lsctl; remove it or rename the project`
	tests := []struct {
		name  string
		setup func(tn *testNet)
	}{
		{"bridge", func(tn *testNet) { tn.links[plan.BridgeName(plan.NetworkName("shop"))] = true }},
		{"conflist", func(tn *testNet) {
			if err := writeFileAtomic(tn.conflistPath(plan.NetworkName("shop")), []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := newTestNet(t)
			tt.setup(tn)
			err := tn.EnsureNetwork(context.Background(), testPlan("shop", "db"))
			if err == nil || err.Error() != want || !errors.Is(err, ErrAlreadyExists) {
				t.Fatalf("err = %v, want %q", err, want)
			}
			if err := tn.TeardownNetwork(context.Background(), "shop"); err != nil {
				t.Fatalf("teardown without record: %v", err)
			}
			if len(tn.deleted) != 0 {
				t.Fatalf("foreign bridge deleted: %v", tn.deleted)
			}
			if fileExists(tn.recordPath(plan.NetworkName("shop"))) {
				t.Fatal("a record was written")
			}
		})
	}
}

// docs/spec/runtime.md §17 item 17 (network part): teardown removes a leftover network.
func TestTeardownRemovesNetwork(t *testing.T) {
	tn := newTestNet(t)
	ctx := context.Background()
	p := testPlan("shop", "db")
	if err := tn.EnsureNetwork(ctx, p); err != nil {
		t.Fatal(err)
	}
	tn.links[p.Network.Bridge] = true // the CNI bridge plugin created it on first ADD
	if err := tn.TeardownNetwork(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if len(tn.deleted) != 1 || tn.deleted[0] != p.Network.Bridge {
		t.Errorf("deleted links %v, want [%s]", tn.deleted, p.Network.Bridge)
	}
	if len(tn.fw.removed) != 1 || tn.fw.removed[0] != p.Network.Bridge {
		t.Errorf("isolation removed for %v", tn.fw.removed)
	}
	for _, path := range []string{tn.recordPath(p.Network.Name), tn.conflistPath(p.Network.Name)} {
		if fileExists(path) {
			t.Errorf("%s still exists", path)
		}
	}
	if err := tn.TeardownNetwork(ctx, "shop"); err != nil {
		t.Fatalf("second teardown: %v", err)
	}
}

// docs/spec/runtime.md §5.5: interfaces that were ports of the bridge and outlive it
// fail the teardown, named with the command that removes them, and are checked again
// by the next teardown although the bridge is gone.
func TestTeardownReportsStrayPorts(t *testing.T) {
	tn := newTestNet(t)
	ctx := context.Background()
	p := testPlan("shop", "db", "web")
	if err := tn.EnsureNetwork(ctx, p); err != nil {
		t.Fatal(err)
	}
	tn.links[p.Network.Bridge] = true
	tn.links["vethstuck"] = true // veth0b left with its namespace
	tn.net.bridgePorts = func(string) []string { return []string{"veth0b", "vethstuck"} }
	err := tn.TeardownNetwork(ctx, "shop")
	if err == nil || !strings.Contains(err.Error(), "interfaces left behind by failed removals: vethstuck (") ||
		!strings.Contains(err.Error(), "ip link delete vethstuck") {
		t.Fatalf("teardown with a veth left: %v", err)
	}
	if want := []string{p.Network.Bridge}; strings.Join(tn.deleted, " ") != strings.Join(want, " ") {
		t.Errorf("deleted links %v, want only the bridge %v", tn.deleted, want)
	}
	if !fileExists(tn.recordPath(p.Network.Name)) {
		t.Error("the network record went although an interface of the network is left")
	}
	if err := tn.TeardownNetwork(ctx, "shop"); err == nil || !strings.Contains(err.Error(), "vethstuck") {
		t.Errorf("a second teardown, the bridge gone, forgot the interface left: %v", err)
	}
	tn.links["vethstuck"] = false // removed by hand, as the error says
	if err := tn.TeardownNetwork(ctx, "shop"); err != nil || fileExists(tn.recordPath(p.Network.Name)) {
		t.Errorf("teardown after the interface went: %v", err)
	}
}

// Ensure step 1: a missing conflist is recreated, an earlier lsctl's is rewritten.
func TestEnsureNetworkRecreatesConflist(t *testing.T) {
	tn := newTestNet(t)
	ctx := context.Background()
	p := testPlan("shop", "db")
	if err := tn.EnsureNetwork(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(tn.conflistPath(p.Network.Name)); err != nil {
		t.Fatal(err)
	}
	if err := tn.EnsureNetwork(ctx, testPlan("shop", "db")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(tn.conflistPath(p.Network.Name))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"cniVersion": "1.0.0"`, `"type": "bridge"`, `"bridge": "` + p.Network.Bridge + `"`,
		`"ips": true`, `"type": "static"`, `"portMappings": true`, `"snat": true`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("conflist lacks %s:\n%s", want, data)
		}
	}
	// An earlier lsctl's conflist masqueraded and opened FORWARD per container; the
	// network's own rules do that now (§5.1), so ensure rewrites it.
	old := strings.Replace(string(data), `"hairpinMode": true`, `"hairpinMode": true, "ipMasq": true`, 1)
	old = strings.Replace(old, `"plugins": [`, `"plugins": [{"type": "firewall", "backend": "iptables"},`, 1)
	if err := os.WriteFile(tn.conflistPath(p.Network.Name), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := tn.EnsureNetwork(ctx, testPlan("shop", "db")); err != nil {
		t.Fatal(err)
	}
	if data, _ = os.ReadFile(tn.conflistPath(p.Network.Name)); strings.Contains(string(data), "ipMasq") || strings.Contains(string(data), "firewall") {
		t.Errorf("an earlier conflist was kept:\n%s", data)
	}
}

func TestCheckCNIPlugins(t *testing.T) {
	tn := newTestNet(t)
	if err := tn.CheckCNIPlugins(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(tn.opts.CNIPath, "portmap")); err != nil {
		t.Fatal(err)
	}
	want := `CNI plugin "portmap" not found in ` + tn.opts.CNIPath
	if err := tn.CheckCNIPlugins(); err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if err := tn.EnsureNetwork(context.Background(), testPlan("shop", "db")); err == nil || err.Error() != want {
		t.Fatalf("EnsureNetwork err = %v, want %q", err, want)
	}
}

func TestParseProcRoutes(t *testing.T) {
	const routes = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
		"eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
		"eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
		"docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
	got := parseProcRoutes(routes)
	want := []string{"192.168.0.0/24", "172.17.0.0/16"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("route %d = %s, want %s", i, got[i], want[i])
		}
	}
}

func TestReadNetworkOffsets(t *testing.T) {
	tn := newTestNet(t)
	if got, err := ReadNetworkOffsets(tn.opts.DataRoot, "shop"); err != nil || got != nil {
		t.Fatalf("no record: %v, %v", got, err)
	}
	name := plan.NetworkName("shop")
	writeRecord(t, tn.Client, networkRecord{Name: name, Project: "shop", Subnet: "10.213.3.0/24",
		Addresses: map[string]string{"db": "10.213.3.9", "api": "10.213.3.2"}})
	got, err := ReadNetworkOffsets(tn.opts.DataRoot, "shop")
	if err != nil || got["db"] != 9 || got["api"] != 2 || len(got) != 2 {
		t.Fatalf("got %v, %v", got, err)
	}
}
