package containerdrt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

// cniIntent is what lsctl records before a CNI ADD. libcni caches an attachment only
// once every plugin has run, and the plugins are processes of their own: an lsctl
// killed during the ADD leaves their iptables rules and address reservations with
// nothing in the cache to undo them. The intent gives the DEL what it needs.
type cniIntent struct {
	Network     string          `json:"network"`
	Config      json.RawMessage `json:"config"` // the conflist as passed to ADD
	ContainerID string          `json:"container_id"`
	NetNS       string          `json:"netns"`
	IfName      string          `json:"if_name"`
	Args        [][2]string     `json:"args"`
	Capability  map[string]any  `json:"capability_args"`
}

// intentFilePrefix names intent files, which lie beside libcni's own cache entries
// (a directory of their own would be left empty after every drop).
const intentFilePrefix = "lsctl-intent-"

func (c *Client) intentPath(id string) string {
	return filepath.Join(c.cniCacheDir(), intentFilePrefix+id+".json")
}

// recordIntent writes the intent of an ADD about to run.
func (c *Client) recordIntent(network string, list *libcni.NetworkConfigList, rt *libcni.RuntimeConf) error {
	data, err := json.Marshal(cniIntent{Network: network, Config: list.Bytes, ContainerID: rt.ContainerID,
		NetNS: rt.NetNS, IfName: rt.IfName, Args: rt.Args, Capability: rt.CapabilityArgs})
	if err != nil {
		return fmt.Errorf("record CNI intent of %s: %w", rt.ContainerID, err)
	}
	path := c.intentPath(rt.ContainerID)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("record CNI intent of %s: %w", rt.ContainerID, err)
	}
	return writeFileAtomic(path, data, 0o600)
}

// dropIntent forgets the intent once libcni's cache (or a DEL) has taken over.
func (c *Client) dropIntent(id string) {
	_ = os.Remove(c.intentPath(id))
}

// undoIntent runs the DEL of an ADD that an lsctl recorded but never saw finish.
func (c *Client) undoIntent(ctx context.Context, id string) error {
	data, err := os.ReadFile(c.intentPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read CNI intent of %s: %w", id, err)
	}
	var in cniIntent
	if err := json.Unmarshal(data, &in); err != nil {
		c.dropIntent(id) // unreadable: nothing can be done with it
		return fmt.Errorf("CNI intent of %s is unreadable: %w", id, err)
	}
	list, err := libcni.ConfListFromBytes(in.Config)
	if err != nil {
		c.dropIntent(id)
		return fmt.Errorf("CNI intent of %s: %w", id, err)
	}
	rt := &libcni.RuntimeConf{ContainerID: in.ContainerID, NetNS: in.NetNS, IfName: in.IfName,
		Args: in.Args, CapabilityArgs: in.Capability}
	lost := !fileExists(rt.NetNS)
	if lost {
		rt.NetNS = ""
	}
	if err := c.cniConfig().DelNetworkList(ctx, list, rt); err != nil {
		return fmt.Errorf("disconnect container %s from network %q (an interrupted connect): %w", id, in.Network, err)
	}
	if lost {
		if err := removeMasquerade(ctx, in.Network, in.ContainerID); err != nil {
			return err
		}
	}
	if hasPlugin(list, "firewall") { // an attachment of an earlier lsctl's conflist
		if err := removeIntentFirewallRules(ctx, in.Capability); err != nil {
			return err
		}
	}
	c.dropIntent(id)
	return nil
}

// removeIntentFirewallRules removes the firewall plugin's rules for the addresses of
// an ADD whose result nobody has: that plugin's DEL works from the result only, so its
// two rules per address are removed by their known form.
func removeIntentFirewallRules(ctx context.Context, capability map[string]any) error {
	var ips []string
	switch v := capability["ips"].(type) {
	case []string: // as lsctl builds it
		ips = v
	case []any: // as read back from an intent file
		for _, ip := range v {
			if s, ok := ip.(string); ok {
				ips = append(ips, s)
			}
		}
	}
	for _, ip := range ips {
		if err := removeFirewallRules(ctx, strings.TrimSuffix(ip, "/24")); err != nil {
			return err
		}
	}
	return nil
}

// removeFirewallRules deletes the CNI firewall plugin's ACCEPT rules for ip in its
// CNI-FORWARD chain.
func removeFirewallRules(ctx context.Context, ip string) error {
	host := ip + "/32"
	for _, rule := range [][]string{
		{"-d", host, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"},
		{"-s", host, "-j", "ACCEPT"},
	} {
		for iptables(ctx, append([]string{"-C", "CNI-FORWARD"}, rule...)...) == nil {
			if err := iptables(ctx, append([]string{"-D", "CNI-FORWARD"}, rule...)...); err != nil {
				return fmt.Errorf("remove the CNI-FORWARD rule for %s: %w", ip, err)
			}
		}
	}
	return nil
}
