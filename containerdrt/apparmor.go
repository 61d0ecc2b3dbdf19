package containerdrt

import (
	"strings"
	"sync"

	"github.com/containerd/containerd/v2/pkg/apparmor"
)

// appArmorSkipped makes the "no AppArmor" debug line appear once per process.
var appArmorSkipped sync.Once

// appArmorProfile is the AppArmor profile containers get (docs/spec/runtime.md §3.1): on a host
// where AppArmor is enabled and apparmor_parser exists, containerd's equivalent of
// Docker's docker-default, named after this lsctl version so that each version loads
// its own once; elsewhere "" (no profile), with one debug line.
func (c *Client) appArmorProfile() string {
	if !apparmor.HostSupports() {
		appArmorSkipped.Do(func() {
			c.logger().Debug("AppArmor is not enabled on this host (or apparmor_parser is missing); containers get no AppArmor profile")
		})
		return ""
	}
	return appArmorProfileName(c.opts.Version)
}

// appArmorProfileName is "lsctl-default-<version>" with characters a profile name
// cannot hold replaced.
func appArmorProfileName(version string) string {
	if version == "" {
		version = "dev"
	}
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, version)
	return "lsctl-default-" + clean
}
