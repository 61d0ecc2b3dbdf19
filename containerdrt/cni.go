package containerdrt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containernetworking/cni/libcni"

	"github.com/lightshuttle/lsctl/plan"
)

// cniPluginDirs is the discovery order of the CNI plugin directory (docs/spec/runtime.md §1.1).
var cniPluginDirs = []string{"/opt/cni/bin", "/usr/libexec/cni", "/usr/lib/cni"}

// requiredCNIPlugins must all exist in the plugin directory (docs/spec/runtime.md §0).
var requiredCNIPlugins = []string{"bridge", "static", "portmap", "loopback"}

// cniIfName is the container-side interface (docs/spec/runtime.md §5.3).
const cniIfName = "eth0"

// cniDir is the plugin directory: the configured one, else DiscoverCNIPath's.
func (c *Client) cniDir() string {
	if c.opts.CNIPath != "" {
		return c.opts.CNIPath
	}
	return DiscoverCNIPath()
}

// DiscoverCNIPath is the default plugin directory (docs/spec/runtime.md §1.1): the first
// candidate that holds a `bridge` file, else the first candidate, which the preflight
// then names.
func DiscoverCNIPath() string { return firstCNIDir(cniPluginDirs) }

// firstCNIDir is the first of candidates holding a `bridge` file, else the first one.
func firstCNIDir(candidates []string) string {
	for _, dir := range candidates {
		if st, err := os.Stat(filepath.Join(dir, "bridge")); err == nil && !st.IsDir() {
			return dir
		}
	}
	return candidates[0]
}

// CheckCNIPlugins reports the first required plugin missing from the plugin
// directory as `CNI plugin "<name>" not found in <dir>`.
func (c *Client) CheckCNIPlugins() error {
	dir := c.cniDir()
	for _, name := range requiredCNIPlugins {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return fmt.Errorf("CNI plugin %q not found in %s", name, dir)
		}
	}
	return nil
}

// cniConfig is libcni bound to the plugin directory and lsctl's result cache, which
// DEL needs after lsctl restarted (docs/spec/runtime.md §5.3).
func (c *Client) cniConfig() *libcni.CNIConfig {
	return libcni.NewCNIConfigWithCacheDir([]string{c.cniDir()}, c.cniCacheDir(), c.pluginExec())
}

// pluginExec runs CNI plugins, their stderr going to Options.PluginOutput.
func (c *Client) pluginExec() *pluginExec { return &pluginExec{stderr: c.pluginOutput()} }

func (c *Client) cniCacheDir() string {
	return filepath.Join(c.dataRoot(), "cni", "cache")
}

// conflist renders the project network's CNI configuration (docs/spec/runtime.md §5.1).
func conflist(network, bridge string) []byte {
	type obj = map[string]any
	conf := obj{
		"cniVersion": "1.0.0",
		"name":       network,
		"plugins": []obj{
			{
				"type": "bridge", "bridge": bridge,
				"isGateway": true, "isDefaultGateway": true, "hairpinMode": true,
				"ipam":         obj{"type": "static"},
				"capabilities": obj{"ips": true, "mac": true},
			},
			{"type": "portmap", "capabilities": obj{"portMappings": true}, "snat": true},
		},
	}
	return mustJSON(conf)
}

// ensureConflist (re)writes the network's conflist when it is missing or differs.
func (c *Client) ensureConflist(network, bridge string) error {
	path := c.conflistPath(network)
	want := conflist(network, bridge)
	if have, err := os.ReadFile(path); err == nil && bytes.Equal(have, want) {
		return nil
	}
	if err := writeFileAtomic(path, want, 0o644); err != nil {
		return fmt.Errorf("write CNI configuration: %w", err)
	}
	return nil
}

// hasPlugin says whether list has a plugin of type kind.
func hasPlugin(list *libcni.NetworkConfigList, kind string) bool {
	for _, p := range list.Plugins {
		if p.Network.Type == kind {
			return true
		}
	}
	return false
}

// withoutPlugin returns list without its plugins of type kind. A container that
// publishes no port is attached without portmap, whose ADD and DEL do nothing without
// mappings: one plugin process less on each side of every such container's life. The
// result is re-read from JSON because libcni caches a list's bytes for the DEL.
func withoutPlugin(list *libcni.NetworkConfigList, kind string) (*libcni.NetworkConfigList, error) {
	var conf map[string]any
	if err := json.Unmarshal(list.Bytes, &conf); err != nil {
		return nil, err
	}
	plugins, _ := conf["plugins"].([]any)
	kept := make([]any, 0, len(plugins))
	for _, p := range plugins {
		if m, ok := p.(map[string]any); ok && m["type"] == kind {
			continue
		}
		kept = append(kept, p)
	}
	conf["plugins"] = kept
	data, err := json.Marshal(conf)
	if err != nil {
		return nil, err
	}
	return libcni.ConfListFromBytes(data)
}

// cniPortMapping is the portMappings capability entry of the portmap plugin.
type cniPortMapping struct {
	HostPort      int    `json:"hostPort"`
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
	HostIP        string `json:"hostIP,omitempty"`
}

// pendingAttach is a CNI ADD running in the background. The namespace is pinned before
// the ADD starts, so the container and its task can be created meanwhile: runc only
// joins the namespace, and the interface must exist by the time the task starts. The
// plugins' iptables commits make the ADD the slowest step of a prepare, so overlapping
// it with task creation takes it off the critical path.
type pendingAttach struct {
	netnsPath string
	ports     []plan.PortBinding
	done      chan error
	once      sync.Once
	err       error
}

// wait returns the ADD's outcome; it may be called any number of times.
func (a *pendingAttach) wait() error {
	a.once.Do(func() { a.err = <-a.done })
	return a.err
}

// startAttach is docs/spec/runtime.md §5.3 steps 1-2: it releases a leftover attachment of the
// id, pins a fresh namespace and starts CNI ADD. A failed ADD undoes itself (DEL,
// namespace removed), leaving nothing behind.
func (c *Client) startAttach(ctx context.Context, s *plan.ContainerSpec) (*pendingAttach, error) {
	if !s.IP.IsValid() {
		return nil, fmt.Errorf("container %s has no address: EnsureNetwork must run before it is prepared", s.ID)
	}
	network := plan.NetworkName(s.Project)
	list, err := libcni.ConfListFromFile(c.conflistPath(network))
	if err != nil {
		return nil, fmt.Errorf("load CNI configuration of network %q (run EnsureNetwork first): %w", network, err)
	}
	if len(s.Ports) == 0 {
		if list, err = withoutPlugin(list, "portmap"); err != nil {
			return nil, fmt.Errorf("CNI configuration of network %q: %w", network, err)
		}
	}
	path := c.netnsPath(s.ID)
	// A leftover attachment of an earlier container with this id (lsctl crashed)
	// would keep its address and iptables rules: release it first.
	if err := c.detachNetwork(ctx, s.ID); err != nil {
		return nil, err
	}
	if err := createNetns(path); err != nil {
		return nil, err
	}
	att := &pendingAttach{netnsPath: path, ports: append([]plan.PortBinding(nil), s.Ports...), done: make(chan error, 1)}
	rt := c.runtimeConf(s, path)
	if err := c.recordIntent(network, list, rt); err != nil {
		_ = removeNetns(path)
		return nil, err
	}
	go func() { att.done <- c.cniAdd(ctx, network, list, rt) }()
	return att, nil
}

// cniAdd runs CNI ADD for rt.
func (c *Client) cniAdd(ctx context.Context, network string, list *libcni.NetworkConfigList, rt *libcni.RuntimeConf) error {
	if _, err := c.cniConfig().AddNetworkList(ctx, list, rt); err != nil {
		// DEL undoes whatever plugins ran before the failure.
		dctx := context.WithoutCancel(ctx)
		if c.cniConfig().DelNetworkList(dctx, list, rt) == nil {
			c.dropIntent(rt.ContainerID)
		}
		_ = removeNetns(rt.NetNS)
		return fmt.Errorf("connect container %s to network %q: %w", rt.ContainerID, network, err)
	}
	c.dropIntent(rt.ContainerID) // libcni's cache has the attachment now
	return nil
}

// runtimeConf is the CNI invocation for a container: eth0, its static address and
// port mappings, IgnoreUnknown=1.
func (c *Client) runtimeConf(s *plan.ContainerSpec, netnsPath string) *libcni.RuntimeConf {
	maps := make([]cniPortMapping, 0, len(s.Ports))
	for _, pb := range s.Ports {
		hostIP := hostIPOrDefault(pb.HostIP)
		if hostIP == "0.0.0.0" {
			hostIP = "" // portmap's wildcard: every host address (docs/spec/runtime.md §17 item 19)
		}
		maps = append(maps, cniPortMapping{
			HostPort: int(pb.HostPort), ContainerPort: int(pb.ContainerPort), Protocol: "tcp", HostIP: hostIP,
		})
	}
	caps := map[string]any{
		"ips":          []string{s.IP.String() + "/24"},
		"portMappings": maps,
	}
	if mac := macFor(s.IP); mac != "" {
		caps["mac"] = mac
	}
	return &libcni.RuntimeConf{
		ContainerID:    s.ID,
		NetNS:          netnsPath,
		IfName:         cniIfName,
		Args:           [][2]string{{"IgnoreUnknown", "1"}},
		CapabilityArgs: caps,
	}
}

// macFor is the MAC address of the container interface at ip: locally administered,
// 02:6c followed by the four bytes of the IPv4 address, as Docker derives its own. A
// container recreated at the same address (a restart) keeps its MAC, so the host's and
// the other containers' neighbour entries for that address stay right. With a random
// MAC they pointed at the removed interface until they expired, tens of seconds,
// whenever the new interface's gratuitous ARP went out before its bridge port
// forwarded (docs/spec/runtime.md §5.3).
func macFor(ip netip.Addr) string {
	if !ip.Is4() {
		return ""
	}
	v4 := ip.As4()
	return fmt.Sprintf("02:6c:%02x:%02x:%02x:%02x", v4[0], v4[1], v4[2], v4[3])
}

// detachNetwork runs CNI DEL for every cached attachment of the container and
// removes its pinned namespace (docs/spec/runtime.md §5.3 step 4). The CNI cache holds the
// configuration and arguments of the ADD, so this works after lsctl restarted and
// after the conflist was deleted. Missing pieces are not errors.
func (c *Client) detachNetwork(ctx context.Context, id string) error {
	cfg := c.cniConfig()
	atts, err := cfg.GetCachedAttachments(id)
	if err != nil {
		return fmt.Errorf("read CNI cache of container %s: %w", id, err)
	}
	var errs []error
	for _, att := range atts {
		list, err := libcni.ConfListFromBytes(att.Config)
		if err != nil {
			errs = append(errs, fmt.Errorf("cached CNI configuration of container %s: %w", id, err))
			continue
		}
		rt := &libcni.RuntimeConf{
			ContainerID: att.ContainerID, NetNS: att.NetNS, IfName: att.IfName,
			Args: att.CniArgs, CapabilityArgs: att.CapabilityArgs,
		}
		if !fileExists(att.NetNS) {
			rt.NetNS = "" // the plugins then only release host-side state
			if err := c.releaseLostAttachment(ctx, cfg, list, rt, att.Network); err != nil {
				errs = append(errs, err)
				continue // the DEL would drop the cached result that names what is left
			}
		}
		if err := cfg.DelNetworkList(ctx, list, rt); err != nil {
			errs = append(errs, fmt.Errorf("disconnect container %s from network %q: %w", id, att.Network, err))
		}
	}
	if len(atts) == 0 {
		if err := c.undoIntent(ctx, id); err != nil {
			errs = append(errs, err)
		}
	} else {
		c.dropIntent(id)
	}
	if err := removeNetns(c.netnsPath(id)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// RemoveLeftoverNetns removes pinned namespaces under /run/lsctl/netns/<namespace>/
// whose container belongs to the project and no longer exists in containerd
// (docs/spec/runtime.md §5.5), releasing their CNI state first. Ownership comes from the
// cached CNI attachment (its network is the project's), else from the id prefix.
func (c *Client) RemoveLeftoverNetns(ctx context.Context, project string) error {
	dir := filepath.Join(netnsRoot, c.namespace())
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	network := plan.NetworkName(project)
	var errs []error
	for _, e := range entries {
		id := e.Name()
		if !c.leftoverOf(id, network, project) {
			continue
		}
		if c.containerExists(ctx, id) {
			continue
		}
		if err := c.detachNetwork(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// leftoverOf reports whether a pinned namespace belongs to the project: its cached
// CNI attachment names the project's network, or, when ADD never completed, its id
// starts with "<project>_".
func (c *Client) leftoverOf(id, network, project string) bool {
	atts, _ := c.cniConfig().GetCachedAttachments(id)
	for _, att := range atts {
		if att.Network == network {
			return true
		}
	}
	return len(atts) == 0 && strings.HasPrefix(id, project+"_")
}

// containerExists reports whether containerd still has the container; without a
// containerd connection nothing is considered to exist.
func (c *Client) containerExists(ctx context.Context, id string) bool {
	if c.cd == nil {
		return false
	}
	_, err := c.cd.LoadContainer(namespaces.WithNamespace(ctx, c.namespace()), id)
	return err == nil
}
