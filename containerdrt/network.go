package containerdrt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lightshuttle/lsctl/plan"
)

// netState is the network side's per-client state. Its zero value works: nil
// hooks fall back to the host's real interfaces, routes and containerd labels.
type netState struct {
	mu sync.Mutex // serialises ensure/teardown within the process

	// host lists the host's addresses and routes (subnet allocation); nil = real host.
	host hostNetworks
	// published lists ports published by lsctl containers; nil = containerd labels.
	published portSource
	// portFree tests whether a TCP listener can bind ip:port; nil = real bind test.
	portFree func(ip string, port uint16) bool
	// firewall installs and removes each network's iptables rules (isolation,
	// forwarding, masquerade; docs/spec/runtime.md §5.1); nil = iptables.
	firewall isolator
	// linkExists, deleteLink and bridgePorts act on host interfaces; nil = the real kernel.
	linkExists  func(name string) bool
	deleteLink  func(name string) error
	bridgePorts func(bridge string) []string
}

// networkRecord is <data-root>/networks/<network-name>.json (docs/spec/runtime.md §5.1).
type networkRecord struct {
	Version   int               `json:"version"`
	Name      string            `json:"name"`
	Project   string            `json:"project"`
	Namespace string            `json:"namespace"`
	Subnet    string            `json:"subnet"`
	Gateway   string            `json:"gateway"`
	Bridge    string            `json:"bridge"`
	Addresses map[string]string `json:"addresses"`
	CreatedAt string            `json:"created_at"`
	// Strays are bridge ports a teardown could not delete: the bridge is gone, so the
	// next teardown learns of them only from here.
	Strays []string `json:"strays,omitempty"`
}

// ownershipError carries one of the spec's exact ownership messages while matching
// its sentinel (ErrNotOwned, ErrAlreadyExists) with errors.Is.
type ownershipError struct {
	msg      string
	sentinel error
}

func (e *ownershipError) Error() string { return e.msg }
func (e *ownershipError) Unwrap() error { return e.sentinel }

// dataRoot is the configured data root or the default one.
func (c *Client) dataRoot() string {
	if c.opts.DataRoot == "" {
		return DefaultDataRoot
	}
	return c.opts.DataRoot
}

// namespace is the configured containerd namespace or the default one.
func (c *Client) namespace() string {
	if c.opts.Namespace == "" {
		return DefaultNamespace
	}
	return c.opts.Namespace
}

func (c *Client) recordPath(network string) string {
	return filepath.Join(c.dataRoot(), "networks", network+".json")
}

func (c *Client) conflistPath(network string) string {
	return filepath.Join(c.dataRoot(), "cni", network+".conflist")
}

// readRecord loads a network record; a missing one is (nil, nil).
func readRecord(path string) (*networkRecord, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read network record %s: %w", path, err)
	}
	var r networkRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("network record %s is corrupt (%v); remove it if no container of its project exists", path, err)
	}
	return &r, nil
}

// checkRecordOwner applies ensure step 2 (docs/spec/runtime.md §5.1).
func checkRecordOwner(r *networkRecord, project, namespace string) error {
	if r.Project == project && r.Namespace == namespace {
		return nil
	}
	return &ownershipError{
		msg: fmt.Sprintf("network %q belongs to project %q (namespace %q), not %q",
			r.Name, r.Project, r.Namespace, project),
		sentinel: ErrNotOwned,
	}
}

// EnsureNetwork creates or reuses the project network (docs/spec/runtime.md §5.1 steps 1-4),
// reconciles the address table (§5.2), assigns the subnet into the plan and writes
// the hosts, resolv.conf and hostname files (§5.4).
func (c *Client) EnsureNetwork(ctx context.Context, p *plan.Plan) error {
	if err := c.CheckCNIPlugins(); err != nil {
		return err
	}
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	name, bridge := networkNames(p)
	rec, subnet, err := c.ownedRecord(name, bridge, p.Project)
	if err != nil {
		return err
	}
	if rec.Bridge != "" {
		bridge = rec.Bridge // the interface that exists is the recorded one
	}
	offsets := reconcileOffsets(p, rec, subnet)
	applyOffsets(p, offsets)
	rec.Addresses = addressTable(p, subnet)
	if err := writeFileAtomic(c.recordPath(name), mustJSON(rec), 0o600); err != nil {
		return fmt.Errorf("update network record: %w", err)
	}
	if err := c.ensureConflist(name, bridge); err != nil {
		return err
	}
	if err := c.isolation().ensure(ctx, netRules{bridge: bridge, network: name, subnet: subnet}); err != nil {
		return err
	}
	p.AssignSubnet(subnet)
	return c.writeProjectFiles(p)
}

// ReserveNetwork applies EnsureNetwork's record steps (docs/spec/runtime.md §5.1 steps 1-4)
// ahead of it and returns the project's subnet, which up names in its first line,
// before the network exists. It creates nothing on the host; EnsureNetwork then
// reuses the record. A record of another project is refused as EnsureNetwork would.
func (c *Client) ReserveNetwork(project string) (netip.Prefix, error) {
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	name := plan.NetworkName(project)
	_, subnet, err := c.ownedRecord(name, plan.BridgeName(name), project)
	return subnet, err
}

// ownedRecord is ensure steps 1-4 with the data root created first: the project's
// record, reused or newly allocated, and its subnet. The caller holds net.mu.
func (c *Client) ownedRecord(name, bridge, project string) (*networkRecord, netip.Prefix, error) {
	// The data root is 0700 (docs/spec/runtime.md §1.2); create it before its subdirectories.
	if err := os.MkdirAll(c.dataRoot(), 0o700); err != nil {
		return nil, netip.Prefix{}, fmt.Errorf("create data root %s: %w", c.dataRoot(), err)
	}
	rec, err := c.loadOrCreateRecord(name, bridge, project)
	if err != nil {
		return nil, netip.Prefix{}, err
	}
	subnet, err := netip.ParsePrefix(rec.Subnet)
	if err != nil {
		return nil, netip.Prefix{}, fmt.Errorf("network record %s has an invalid subnet %q: %w", c.recordPath(name), rec.Subnet, err)
	}
	return rec, subnet, nil
}

// networkNames returns the plan's network and bridge names, deriving them when the
// plan left them empty.
func networkNames(p *plan.Plan) (network, bridge string) {
	network, bridge = p.Network.Name, p.Network.Bridge
	if network == "" {
		network = plan.NetworkName(p.Project)
	}
	if bridge == "" {
		bridge = plan.BridgeName(network)
	}
	return network, bridge
}

// loadOrCreateRecord applies ensure steps 1-4: reuse an owned record, refuse a
// foreign one or a foreign bridge/conflist, else allocate a subnet and write a record.
func (c *Client) loadOrCreateRecord(name, bridge, project string) (*networkRecord, error) {
	rec, err := readRecord(c.recordPath(name))
	if err != nil {
		return nil, err
	}
	if rec != nil {
		return rec, checkRecordOwner(rec, project, c.namespace())
	}
	if c.linkExists(bridge) || fileExists(c.conflistPath(name)) {
		return nil, &ownershipError{
			msg:      fmt.Sprintf("network %q exists and was not created by lsctl; remove it or rename the project", name),
			sentinel: ErrAlreadyExists,
		}
	}
	unlock, err := lockDataRoot(c.dataRoot())
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Another process may have created it while we waited for the lock.
	if rec, err = readRecord(c.recordPath(name)); err != nil || rec != nil {
		if err != nil {
			return nil, err
		}
		return rec, checkRecordOwner(rec, project, c.namespace())
	}
	subnet, err := c.allocateSubnet()
	if err != nil {
		return nil, err
	}
	rec = &networkRecord{
		Version: 1, Name: name, Project: project, Namespace: c.namespace(),
		Subnet: subnet.String(), Gateway: subnet.Addr().Next().String(), Bridge: bridge,
		Addresses: map[string]string{}, CreatedAt: time.Now().UTC().Format(tsFormat),
	}
	if err := os.MkdirAll(filepath.Dir(c.recordPath(name)), 0o700); err != nil {
		return nil, fmt.Errorf("create networks directory: %w", err)
	}
	if err := writeFileAtomic(c.recordPath(name), mustJSON(rec), 0o600); err != nil {
		return nil, fmt.Errorf("write network record: %w", err)
	}
	return rec, nil
}

// allocateSubnet picks the lowest free /24 of the pool. The caller holds the
// data-root lock.
func (c *Client) allocateSubnet() (netip.Prefix, error) {
	poolText := c.opts.SubnetPool
	if poolText == "" {
		poolText = DefaultSubnetPool
	}
	pool, err := netip.ParsePrefix(poolText)
	if err != nil || !pool.Addr().Is4() || pool.Bits() > 24 {
		return netip.Prefix{}, fmt.Errorf("invalid subnet pool %q: want an IPv4 CIDR with a prefix of at most 24", poolText)
	}
	used, err := recordedSubnets(filepath.Join(c.dataRoot(), "networks"))
	if err != nil {
		return netip.Prefix{}, err
	}
	host, err := c.hostNetworks().Prefixes()
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("list host addresses and routes: %w", err)
	}
	return lowestFreeSubnet(pool.Masked(), append(used, host...))
}

// lowestFreeSubnet returns the first /24 of pool that overlaps none of taken.
func lowestFreeSubnet(pool netip.Prefix, taken []netip.Prefix) (netip.Prefix, error) {
	count := 1 << (24 - pool.Bits())
	base := pool.Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8
	for i := 0; i < count; i++ {
		v := start + uint32(i)<<8
		candidate := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), 0}), 24)
		free := true
		for _, t := range taken {
			if t.Overlaps(candidate) {
				free = false
				break
			}
		}
		if free {
			return candidate, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("no free /24 left in subnet pool %s", pool)
}

// recordedSubnets lists the subnets of every network record under dir.
func recordedSubnets(dir string) ([]netip.Prefix, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list network records in %s: %w", dir, err)
	}
	var out []netip.Prefix
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".json" {
			continue
		}
		rec, err := readRecord(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if pfx, err := netip.ParsePrefix(rec.Subnet); err == nil {
			out = append(out, pfx)
		}
	}
	return out, nil
}

// reconcileOffsets applies docs/spec/runtime.md §5.2: resources in the record keep their host
// offset, the others take the lowest free offset from 2 in declaration order.
// Addresses of resources no longer in the plan are released.
func reconcileOffsets(p *plan.Plan, rec *networkRecord, subnet netip.Prefix) map[string]int {
	offsets := map[string]int{}
	used := map[int]bool{}
	for _, n := range p.Nodes {
		ip, err := netip.ParseAddr(rec.Addresses[n.Name])
		if err != nil || !subnet.Contains(ip) {
			continue
		}
		off := int(ip.As4()[3])
		if off >= 2 && off <= 254 && !used[off] {
			offsets[n.Name], used[off] = off, true
		}
	}
	next := 2
	for _, n := range p.Nodes {
		if _, ok := offsets[n.Name]; ok {
			continue
		}
		for next <= 254 && used[next] {
			next++
		}
		// The manifest validator limits a project to 253 resources, so next <= 254.
		offsets[n.Name], used[next] = next, true
	}
	return offsets
}

// applyOffsets writes offsets into the plan's network spec and container specs.
func applyOffsets(p *plan.Plan, offsets map[string]int) {
	if p.Network.Offsets == nil {
		p.Network.Offsets = map[string]int{}
	}
	for _, n := range p.Nodes {
		p.Network.Offsets[n.Name] = offsets[n.Name]
		n.Spec.HostOffset = offsets[n.Name]
	}
}

// addressTable is the record's resource -> address map for the plan.
func addressTable(p *plan.Plan, subnet netip.Prefix) map[string]string {
	out := map[string]string{}
	for _, n := range p.Nodes {
		out[n.Name] = hostAddr(subnet, n.Spec.HostOffset).String()
	}
	return out
}

// hostAddr is the address with host part off in a /24.
func hostAddr(subnet netip.Prefix, off int) netip.Addr {
	b := subnet.Masked().Addr().As4()
	b[3] = byte(off)
	return netip.AddrFrom4(b)
}

// TeardownNetwork removes the project's bridge, isolation rules, conflist and record
// (docs/spec/runtime.md §5.5). A missing network is success; another project's is refused.
func (c *Client) TeardownNetwork(ctx context.Context, project string) error {
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	name := plan.NetworkName(project)
	rec, err := readRecord(c.recordPath(name))
	if err != nil {
		return err
	}
	if rec == nil {
		return nil // never touch a bridge or conflist lsctl did not record
	}
	if err := checkRecordOwner(rec, project, c.namespace()); err != nil {
		return err
	}
	bridge := rec.Bridge
	if bridge == "" {
		bridge = plan.BridgeName(name)
	}
	// The kernel takes tens of milliseconds to unregister a bridge; the isolation
	// rules go meanwhile.
	isolated := make(chan error, 1)
	rules := netRules{bridge: bridge, network: name}
	if subnet, err := netip.ParsePrefix(rec.Subnet); err == nil {
		rules.subnet = subnet
	}
	go func() { isolated <- c.isolation().remove(ctx, rules) }()
	var linkErr error
	ports := rec.Strays
	if c.linkExists(bridge) {
		ports = append(ports, c.portsOf(bridge)...)
		if err := c.removeLink(bridge); err != nil {
			linkErr = fmt.Errorf("delete bridge %s of network %q: %w", bridge, name, err)
		}
	}
	if linkErr == nil {
		linkErr = c.checkStrayPorts(rec, ports)
	}
	if err := errors.Join(<-isolated, linkErr); err != nil {
		return err
	}
	for _, path := range []string{c.conflistPath(name), c.recordPath(name)} {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", path, err)
		}
	}
	return nil
}

// ReadNetworkOffsets returns the address table of a project's network record as host
// offsets, for plan.Options.Offsets; nil when there is no record.
func ReadNetworkOffsets(dataRoot, project string) (map[string]int, error) {
	if dataRoot == "" {
		dataRoot = DefaultDataRoot
	}
	rec, err := readRecord(filepath.Join(dataRoot, "networks", plan.NetworkName(project)+".json"))
	if err != nil || rec == nil {
		return nil, err
	}
	out := map[string]int{}
	for res, ip := range rec.Addresses {
		if a, err := netip.ParseAddr(ip); err == nil && a.Is4() {
			out[res] = int(a.As4()[3])
		}
	}
	return out, nil
}

// checkStrayPorts fails the teardown when an interface that was a port of the
// project's bridge outlives it (docs/spec/runtime.md §5.5): a veth whose container's
// removal failed, or whose namespace some process still holds. It names them with
// the command that removes them, and keeps them in the record so that the next
// teardown checks them again although the bridge is gone. lsctl does not delete
// them itself: a container that still exists may be using one.
func (c *Client) checkStrayPorts(rec *networkRecord, ports []string) error {
	var left []string
	for _, port := range ports {
		if c.linkExists(port) && !slices.Contains(left, port) {
			left = append(left, port)
		}
	}
	if len(left) == 0 {
		return nil
	}
	rec.Strays = left
	if err := writeFileAtomic(c.recordPath(rec.Name), mustJSON(rec), 0o600); err != nil {
		return fmt.Errorf("write network record: %w", err)
	}
	return fmt.Errorf("network %q: interfaces left behind by failed removals: %s (a process may still hold "+
		"their container's network namespace; delete them with `ip link delete %s`)",
		rec.Name, strings.Join(left, ", "), strings.Join(left, "` and `ip link delete "))
}

// portsOf lists the interfaces attached to a bridge, from sysfs.
func (c *Client) portsOf(bridge string) []string {
	if c.net.bridgePorts != nil {
		return c.net.bridgePorts(bridge)
	}
	entries, _ := os.ReadDir(filepath.Join("/sys/class/net", bridge, "brif"))
	ports := make([]string, 0, len(entries))
	for _, e := range entries {
		ports = append(ports, e.Name())
	}
	return ports
}

func (c *Client) linkExists(name string) bool {
	if c.net.linkExists != nil {
		return c.net.linkExists(name)
	}
	_, err := net.InterfaceByName(name)
	return err == nil
}

func (c *Client) removeLink(name string) error {
	if c.net.deleteLink != nil {
		return c.net.deleteLink(name)
	}
	return deleteLinkByName(name)
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// mustJSON marshals values that cannot fail to marshal (plain structs and maps).
func mustJSON(v any) []byte {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", v, err)) // programming error, never input
	}
	return append(data, '\n')
}
