package plan

import (
	"net/netip"
	"reflect"
	"testing"
)

// docs/spec/runtime.md §5.2 and §17 item 12: host offsets.
func TestOffsets(t *testing.T) {
	yaml := manifestOf("shop", "db: {postgres: {}}\napi: {container: {image: \"x:1\"}}\nweb: {container: {image: \"x:1\"}}")
	tests := []struct {
		name     string
		existing map[string]int
		want     map[string]int
	}{
		{"item12 first up: declaration order from .2", nil, map[string]int{"db": 2, "api": 3, "web": 4}},
		{"record kept, others take the lowest free", map[string]int{"api": 2, "gone": 3}, map[string]int{"api": 2, "db": 3, "web": 4}},
		{"gap reused", map[string]int{"db": 2, "web": 4}, map[string]int{"db": 2, "api": 3, "web": 4}},
		{"invalid and duplicate offsets reassigned", map[string]int{"db": 300, "api": 5, "web": 5}, map[string]int{"db": 2, "api": 5, "web": 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := build(t, yaml, Options{Offsets: tt.existing})
			if !reflect.DeepEqual(p.Network.Offsets, tt.want) {
				t.Errorf("offsets = %v, want %v", p.Network.Offsets, tt.want)
			}
			for _, n := range p.Nodes {
				if n.Spec.HostOffset != tt.want[n.Name] || n.Spec.IP.IsValid() {
					t.Errorf("%s: offset %d ip %v", n.Name, n.Spec.HostOffset, n.Spec.IP)
				}
			}
		})
	}
}

// docs/spec/runtime.md §5.4 and §17 items 11-12: addresses and the hosts file.
func TestAssignSubnetAndHostsFile(t *testing.T) {
	p := build(t, manifestOf("shop", "db: {postgres: {}}\napi: {container: {image: \"x:1\"}}"), Options{})
	if got := string(p.HostsFile()); got != "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" {
		t.Errorf("hosts before a subnet = %q", got)
	}
	p.AssignSubnet(netip.MustParsePrefix("10.213.0.0/24"))
	if p.Network.Subnet.String() != "10.213.0.0/24" || p.Network.Gateway.String() != "10.213.0.1" {
		t.Errorf("subnet %v gateway %v", p.Network.Subnet, p.Network.Gateway)
	}
	if ip := node(t, p, "api").Spec.IP.String(); ip != "10.213.0.3" {
		t.Errorf("api ip = %s, want 10.213.0.3", ip)
	}
	if l := node(t, p, "db").Spec.Labels[LabelIP]; l != "10.213.0.2" {
		t.Errorf("db ip label = %q", l)
	}
	want := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"10.213.0.2\tdb shop_db\n10.213.0.3\tapi shop_api\n"
	if got := string(p.HostsFile()); got != want {
		t.Errorf("hosts =\n%s\nwant\n%s", got, want)
	}
	if p.Network.Name != "lightshuttle-shop" || p.Network.Bridge != BridgeName("lightshuttle-shop") || p.Network.Project != "shop" {
		t.Errorf("network = %+v", p.Network)
	}
}
