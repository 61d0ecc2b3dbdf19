package containerdrt

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/containerd/containerd/v2/pkg/namespaces"

	"github.com/lightshuttle/lsctl/plan"
)

// PortRewrite reports a requested host port that was taken and the port published
// instead (docs/spec/runtime.md §6): `<resource>: port <ip>:<from> is in use; publishing
// <ip>:<to> -> <container> instead`.
type PortRewrite struct {
	Resource  string
	HostIP    string
	From      uint16
	To        uint16
	Container uint16
}

// publishedPort is one port an lsctl container publishes, per its labels.
type publishedPort struct {
	Namespace string
	Project   string
	Resource  string
	plan.PortBinding
}

// portSource lists the ports published by lsctl containers in every containerd
// namespace. Tests inject a fixed list.
type portSource interface {
	Published(ctx context.Context) ([]publishedPort, error)
}

// defaultHostIP is where ports are published unless the manifest names an address.
const defaultHostIP = "127.0.0.1"

// portClaim is a host address and port held by someone.
type portClaim struct {
	ip   string
	port uint16
}

// PreflightPorts tests every requested host port of the plan (docs/spec/runtime.md §6) and
// rewrites taken ones to free ports in p, reporting each rewrite; with strict, a
// taken port fails with ErrPortInUse instead. HostPort changes, RequestedHostPort
// keeps the request. The caller holds LockDataRoot until the containers exist.
func (c *Client) PreflightPorts(ctx context.Context, p *plan.Plan, strict bool) ([]PortRewrite, error) {
	published, err := c.portSource().Published(ctx)
	if err != nil {
		return nil, err
	}
	var taken []portClaim
	previous := map[string][]plan.PortBinding{} // this project's containers, by resource
	for _, pp := range published {
		if pp.Namespace == c.namespace() && pp.Project == p.Project {
			previous[pp.Resource] = append(previous[pp.Resource], pp.PortBinding)
			continue
		}
		taken = append(taken, portClaim{hostIPOrDefault(pp.HostIP), pp.HostPort})
	}
	var rewrites []PortRewrite
	for _, n := range p.Nodes {
		for i := range n.Spec.Ports {
			pb := &n.Spec.Ports[i]
			rw, err := c.preflightOne(n.Name, pb, previous[n.Name], &taken, strict)
			if err != nil {
				return rewrites, err
			}
			if rw != nil {
				rewrites = append(rewrites, *rw)
			}
		}
	}
	return rewrites, nil
}

// preflightOne settles one mapping: the requested port if free, else the resource's
// previous actual port for the same container port if free, else an ephemeral one.
func (c *Client) preflightOne(resource string, pb *plan.PortBinding, previous []plan.PortBinding, taken *[]portClaim, strict bool) (*PortRewrite, error) {
	if pb.RequestedHostPort == 0 {
		pb.RequestedHostPort = pb.HostPort
	}
	ip := hostIPOrDefault(pb.HostIP)
	want := pb.RequestedHostPort
	if c.portAvailable(ip, want, *taken) {
		pb.HostPort = want
		*taken = append(*taken, portClaim{ip, want})
		return nil, nil
	}
	if strict {
		return nil, fmt.Errorf("host port %s:%d requested by resources.%s is already in use: %w",
			ip, want, resource, ErrPortInUse)
	}
	got := uint16(0)
	for _, prev := range previous {
		if prev.ContainerPort == pb.ContainerPort && hostIPOrDefault(prev.HostIP) == ip &&
			prev.HostPort != want && c.portAvailable(ip, prev.HostPort, *taken) {
			got = prev.HostPort
			break
		}
	}
	if got == 0 {
		var err error
		if got, err = c.ephemeralPort(ip, *taken); err != nil {
			return nil, fmt.Errorf("resources.%s: host port %s:%d is in use and no free port was found: %w", resource, ip, want, err)
		}
	}
	pb.HostPort = got
	*taken = append(*taken, portClaim{ip, got})
	return &PortRewrite{Resource: resource, HostIP: ip, From: want, To: got, Container: pb.ContainerPort}, nil
}

// portAvailable applies the in-use test: nobody in taken holds the port on an
// overlapping address and a TCP listener can bind it.
func (c *Client) portAvailable(ip string, port uint16, taken []portClaim) bool {
	for _, t := range taken {
		if t.port == port && addressesOverlap(t.ip, ip) {
			return false
		}
	}
	return c.bindFree(ip, port)
}

// addressesOverlap reports whether two host addresses share ports (0.0.0.0 overlaps all).
func addressesOverlap(a, b string) bool {
	return a == b || a == "0.0.0.0" || b == "0.0.0.0"
}

func hostIPOrDefault(ip string) string {
	if ip == "" {
		return defaultHostIP
	}
	return ip
}

func (c *Client) bindFree(ip string, port uint16) bool {
	if c.net.portFree != nil {
		return c.net.portFree(ip, port)
	}
	l, err := net.Listen("tcp4", net.JoinHostPort(ip, strconv.Itoa(int(port))))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// ephemeralPort asks the kernel for a free port on ip, skipping ports lsctl
// containers publish (the kernel does not know about DNAT-only ports).
func (c *Client) ephemeralPort(ip string, taken []portClaim) (uint16, error) {
	for attempt := 0; attempt < 64; attempt++ {
		port, err := c.kernelPort(ip, attempt)
		if err != nil {
			return 0, err
		}
		if c.portAvailable(ip, port, taken) {
			return port, nil
		}
	}
	return 0, fmt.Errorf("every ephemeral port offered on %s is published by lsctl", ip)
}

// kernelPort returns a port the kernel considers free on ip. With an injected bind
// test (unit tests) it is the attempt-th free port from 49152 instead, so results
// are deterministic.
func (c *Client) kernelPort(ip string, attempt int) (uint16, error) {
	if c.net.portFree != nil {
		for p := uint16(49152); p != 0; p++ {
			if c.net.portFree(ip, p) {
				if attempt == 0 {
					return p, nil
				}
				attempt--
			}
		}
		return 0, fmt.Errorf("no free port on %s", ip)
	}
	l, err := net.Listen("tcp4", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("cannot listen on %s: %w", ip, err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port), nil
}

func (c *Client) portSource() portSource {
	if c.net.published != nil {
		return c.net.published
	}
	return containerdPorts{c: c}
}

// containerdPorts reads the lightshuttle.ports label of lsctl containers in every
// containerd namespace.
type containerdPorts struct{ c *Client }

// Published lists every port lsctl containers publish, across namespaces.
func (s containerdPorts) Published(ctx context.Context) ([]publishedPort, error) {
	if s.c.cd == nil {
		return nil, fmt.Errorf("list published ports: no containerd connection: %w", ErrUnavailable)
	}
	nss, err := s.c.cd.NamespaceService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list containerd namespaces: %w", err)
	}
	var out []publishedPort
	for _, ns := range nss {
		list, err := s.c.cd.ContainerService().List(namespaces.WithNamespace(ctx, ns),
			`labels."`+plan.LabelProject+`"`)
		if err != nil {
			return nil, fmt.Errorf("list containers of namespace %q: %w", ns, err)
		}
		for _, ctr := range list {
			project, resource := ctr.Labels[plan.LabelProject], ctr.Labels[plan.LabelResource]
			for _, pb := range s.c.portsLabel(project, resource, ctr.Labels[plan.LabelPorts]) {
				out = append(out, publishedPort{Namespace: ns, Project: project, Resource: resource, PortBinding: pb})
			}
		}
	}
	return out, nil
}

// portsLabel decodes a lightshuttle.ports label, following the "@file" indirection
// of docs/spec/runtime.md §4.2. Unreadable values publish nothing.
func (c *Client) portsLabel(project, resource, value string) []plan.PortBinding {
	if value == "" {
		return nil
	}
	data := []byte(value)
	if value == "@file" {
		path := filepath.Join(plan.ProjectDir(c.dataRoot(), project), "labels", resource+".json")
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		var wrapped map[string]json.RawMessage
		if json.Unmarshal(raw, &wrapped) == nil && wrapped[plan.LabelPorts] != nil {
			raw = wrapped[plan.LabelPorts]
			var s string
			if json.Unmarshal(raw, &s) == nil {
				raw = []byte(s)
			}
		}
		data = raw
	}
	var out []plan.PortBinding
	if json.Unmarshal(data, &out) != nil {
		return nil
	}
	return out
}
