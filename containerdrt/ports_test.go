package containerdrt

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"

	"github.com/lightshuttle/lsctl/plan"
)

type fakePorts []publishedPort

func (f fakePorts) Published(context.Context) ([]publishedPort, error) { return f, nil }

func binding(ip string, host, container uint16) plan.PortBinding {
	return plan.PortBinding{HostIP: ip, HostPort: host, ContainerPort: container, RequestedHostPort: host}
}

// docs/spec/runtime.md §6, §17 items 20-22: the in-use test and the rewrite order.
func TestPreflightPorts(t *testing.T) {
	type res struct {
		name  string
		ports []plan.PortBinding
	}
	tests := []struct {
		name      string
		resources []res
		published fakePorts
		bound     map[string]bool // "ip:port" held by host processes
		want      map[string][]uint16
		rewrites  []PortRewrite
	}{
		{name: "free ports stay",
			resources: []res{{"db", []plan.PortBinding{binding("", 5432, 5432)}}},
			want:      map[string][]uint16{"db": {5432}}},
		{name: "bound by a host process (item 20)",
			resources: []res{{"db", []plan.PortBinding{binding("127.0.0.1", 5432, 5432)}}},
			bound:     map[string]bool{"127.0.0.1:5432": true},
			want:      map[string][]uint16{"db": {49152}},
			rewrites:  []PortRewrite{{"db", "127.0.0.1", 5432, 49152, 5432}}},
		{name: "published by another project (item 22)",
			resources: []res{{"db", []plan.PortBinding{binding("127.0.0.1", 5432, 5432)}}},
			published: fakePorts{{"lightshuttle", "other", "db", binding("127.0.0.1", 5432, 5432)}},
			want:      map[string][]uint16{"db": {49152}},
			rewrites:  []PortRewrite{{"db", "127.0.0.1", 5432, 49152, 5432}}},
		{name: "published in another containerd namespace by the same project name",
			resources: []res{{"db", []plan.PortBinding{binding("127.0.0.1", 5432, 5432)}}},
			published: fakePorts{{"elsewhere", "shop", "db", binding("127.0.0.1", 5432, 5432)}},
			want:      map[string][]uint16{"db": {49152}},
			rewrites:  []PortRewrite{{"db", "127.0.0.1", 5432, 49152, 5432}}},
		{name: "0.0.0.0 overlaps every address",
			resources: []res{{"web", []plan.PortBinding{binding("127.0.0.1", 8080, 80)}}},
			published: fakePorts{{"lightshuttle", "other", "web", binding("0.0.0.0", 8080, 80)}},
			want:      map[string][]uint16{"web": {49152}},
			rewrites:  []PortRewrite{{"web", "127.0.0.1", 8080, 49152, 80}}},
		{name: "different addresses do not overlap",
			resources: []res{{"web", []plan.PortBinding{binding("127.0.0.1", 8080, 80)}}},
			published: fakePorts{{"lightshuttle", "other", "web", binding("10.0.0.5", 8080, 80)}},
			want:      map[string][]uint16{"web": {8080}}},
		{name: "own project's containers never count",
			resources: []res{{"db", []plan.PortBinding{binding("127.0.0.1", 5432, 5432)}}},
			published: fakePorts{{"lightshuttle", "shop", "db", binding("127.0.0.1", 5432, 5432)},
				{"lightshuttle", "shop", "orphan", binding("127.0.0.1", 5432, 5432)}},
			want: map[string][]uint16{"db": {5432}}},
		{name: "duplicate in the manifest: the later declaration moves",
			resources: []res{{"a", []plan.PortBinding{binding("", 8080, 80)}}, {"b", []plan.PortBinding{binding("", 8080, 80)}}},
			want:      map[string][]uint16{"a": {8080}, "b": {49152}},
			rewrites:  []PortRewrite{{"b", "127.0.0.1", 8080, 49152, 80}}},
		{name: "previous actual port is preferred over an ephemeral one",
			resources: []res{{"db", []plan.PortBinding{binding("127.0.0.1", 5432, 5432)}}},
			published: fakePorts{{"lightshuttle", "shop", "db", plan.PortBinding{HostIP: "127.0.0.1", HostPort: 50000, ContainerPort: 5432, RequestedHostPort: 5432}}},
			bound:     map[string]bool{"127.0.0.1:5432": true},
			want:      map[string][]uint16{"db": {50000}},
			rewrites:  []PortRewrite{{"db", "127.0.0.1", 5432, 50000, 5432}}},
		{name: "ephemeral ports skip those lsctl publishes",
			resources: []res{{"db", []plan.PortBinding{binding("127.0.0.1", 5432, 5432)}}},
			published: fakePorts{{"lightshuttle", "x", "y", binding("127.0.0.1", 49152, 1)}},
			bound:     map[string]bool{"127.0.0.1:5432": true},
			want:      map[string][]uint16{"db": {49153}},
			rewrites:  []PortRewrite{{"db", "127.0.0.1", 5432, 49153, 5432}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Client{opts: Options{Namespace: "lightshuttle"}}
			c.net.published = tt.published
			c.net.portFree = func(ip string, port uint16) bool { return !tt.bound[ip+":"+strconv.Itoa(int(port))] }
			p := &plan.Plan{Project: "shop"}
			for _, r := range tt.resources {
				p.Nodes = append(p.Nodes, &plan.Node{Name: r.name, Spec: plan.ContainerSpec{Ports: append([]plan.PortBinding(nil), r.ports...)}})
			}
			rewrites, err := c.PreflightPorts(context.Background(), p, false)
			if err != nil {
				t.Fatal(err)
			}
			for i, n := range p.Nodes {
				for j, pb := range n.Spec.Ports {
					if pb.HostPort != tt.want[n.Name][j] || pb.RequestedHostPort != tt.resources[i].ports[j].RequestedHostPort {
						t.Errorf("%s port %d: host %d requested %d, want host %d", n.Name, j, pb.HostPort, pb.RequestedHostPort, tt.want[n.Name][j])
					}
				}
			}
			if len(rewrites) != len(tt.rewrites) {
				t.Fatalf("rewrites %+v, want %+v", rewrites, tt.rewrites)
			}
			for i := range rewrites {
				if rewrites[i] != tt.rewrites[i] {
					t.Errorf("rewrite %d = %+v, want %+v", i, rewrites[i], tt.rewrites[i])
				}
			}
		})
	}
}

// docs/spec/runtime.md §17 item 21: --strict fails on the first taken port.
func TestPreflightPortsStrict(t *testing.T) {
	c := &Client{opts: Options{Namespace: "lightshuttle"}}
	c.net.published = fakePorts{}
	c.net.portFree = func(ip string, port uint16) bool { return port != 5432 }
	p := &plan.Plan{Project: "shop", Nodes: []*plan.Node{{Name: "db", Spec: plan.ContainerSpec{Ports: []plan.PortBinding{binding("", 5432, 5432)}}}}}
	_, err := c.PreflightPorts(context.Background(), p, true)
	want := "host port 127.0.0.1:5432 requested by resources.db is already in use"
	if err == nil || !errors.Is(err, ErrPortInUse) || err.Error()[:len(want)] != want {
		t.Fatalf("err = %v, want %q wrapping ErrPortInUse", err, want)
	}
	if p.Nodes[0].Spec.Ports[0].HostPort != 5432 {
		t.Errorf("strict mode rewrote the port")
	}
}

// The real bind test sees a port held by a listener on this host.
func TestBindFreeReal(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	c := &Client{}
	if c.bindFree("127.0.0.1", port) {
		t.Fatal("a bound port was reported free")
	}
	got, err := c.ephemeralPort("127.0.0.1", []portClaim{{"127.0.0.1", port}})
	if err != nil || got == port || got == 0 {
		t.Fatalf("ephemeralPort = %d, %v", got, err)
	}
}

// docs/spec/runtime.md §4.2: the ports label, with the @file indirection.
func TestPortsLabel(t *testing.T) {
	c := &Client{opts: Options{DataRoot: t.TempDir()}}
	label := `[{"host_ip":"127.0.0.1","host_port":5433,"container_port":5432,"requested_host_port":5432}]`
	got := c.portsLabel("shop", "db", label)
	if len(got) != 1 || got[0].HostPort != 5433 || got[0].RequestedHostPort != 5432 {
		t.Fatalf("inline: %+v", got)
	}
	if err := writeFileAtomic(c.opts.DataRoot+"/projects/shop/labels/db.json", []byte(label), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := c.portsLabel("shop", "db", "@file"); len(got) != 1 || got[0].ContainerPort != 5432 {
		t.Fatalf("@file: %+v", got)
	}
	if got := c.portsLabel("shop", "db", "not json"); got != nil {
		t.Fatalf("garbage: %+v", got)
	}
}
