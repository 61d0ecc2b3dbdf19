package containerdrt

import (
	"context"
	"fmt"
	"strings"

	"github.com/containernetworking/cni/libcni"
	types100 "github.com/containernetworking/cni/pkg/types/100"
)

// releaseLostAttachment removes what CNI DEL leaves of an attachment whose namespace
// pin is gone while some process still holds the namespace (docs/spec/runtime.md §5.5):
// the plugins cannot enter it, so the container's veth lives on with its outbound NAT
// rules. The host end of the veth, named in the cached ADD result, is deleted (which
// deletes the pair), then the NAT rules by their comment. Call it before the DEL, which
// drops the cached result.
func (c *Client) releaseLostAttachment(ctx context.Context, cfg *libcni.CNIConfig, list *libcni.NetworkConfigList,
	rt *libcni.RuntimeConf, network string) error {
	if cached, err := cfg.GetNetworkListCachedResult(list, rt); err == nil && cached != nil {
		if res, err := types100.NewResultFromResult(cached); err == nil {
			for _, ifc := range res.Interfaces {
				// The host end has no sandbox; the bridge has none either, and stays.
				if ifc.Sandbox == "" && strings.HasPrefix(ifc.Name, "veth") && c.linkExists(ifc.Name) {
					if err := c.removeLink(ifc.Name); err != nil && c.linkExists(ifc.Name) {
						return fmt.Errorf("delete veth %s of container %s: %w", ifc.Name, rt.ContainerID, err)
					}
				}
			}
		}
	}
	return removeMasquerade(ctx, network, rt.ContainerID)
}

// removeMasquerade removes the bridge plugin's outbound NAT of one container: the
// POSTROUTING jump commented `name: "<network>" id: "<id>"` and the chain it jumps to.
// The plugin's DEL removes them only when it can enter the container's namespace to
// learn its addresses; when the pin is gone (docs/spec/runtime.md §5.5) lsctl removes
// them by that comment, which names exactly this attachment.
func removeMasquerade(ctx context.Context, network, id string) error {
	table, err := readTable(ctx, "nat")
	if err != nil {
		return fmt.Errorf("read the NAT rules of container %s: %w", id, err)
	}
	if err := restoreTable(ctx, "nat", table.masqueradeRemoval(network, id)); err != nil {
		return fmt.Errorf("remove the NAT rules of container %s: %w", id, err)
	}
	return nil
}

// masqueradeRemoval is the restore lines that delete the attachment's POSTROUTING
// jumps and then flush and delete their chains.
func (t filterTable) masqueradeRemoval(network, id string) [][]string {
	comment := fmt.Sprintf("name: %q id: %q", network, id)
	var jumps, chains [][]string
	seen := map[string]bool{}
	for _, r := range t {
		if len(r) < 4 || r[0] != "-A" || r[1] != "POSTROUTING" || valueAfter(r, "--comment") != comment {
			continue
		}
		jumps = append(jumps, append([]string{"-D"}, r[1:]...))
		if chain := valueAfter(r, "-j"); chain != "" && !seen[chain] && t.hasChain(chain) {
			seen[chain] = true
			chains = append(chains, []string{"-F", chain}, []string{"-X", chain})
		}
	}
	return append(jumps, chains...)
}

// valueAfter is the word after the first flag in words, or "".
func valueAfter(words []string, flag string) string {
	for i := 0; i+1 < len(words); i++ {
		if words[i] == flag {
			return words[i+1]
		}
	}
	return ""
}
