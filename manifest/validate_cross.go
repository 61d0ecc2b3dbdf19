package manifest

import (
	"fmt"
	"strings"
)

// maxResources is the number of non-reserved resources one /24 network can address (§6.2).
const maxResources = 253

// crossResource runs phase 6 (without LSH collisions, which need merged dependencies and
// are the plan's): hostname collisions, resource count, host ports requested twice.
func (v *validator) crossResource() {
	if n := v.m.Project.Name; n.Set && namePattern.MatchString(n.Value) {
		for _, r := range v.m.Resources {
			rest, qualified := strings.CutPrefix(r.Name, n.Value+"_")
			if b, ok := v.byName[rest]; qualified && ok {
				v.errorf("hostname-collision", joinPath("resources", r.Name), r.Name, r.Pos,
					"the name %s equals the qualified host name of resource %s", quote(r.Name), quote(b.Name))
			}
		}
	}
	if n := len(v.m.Resources); n > maxResources {
		v.errorf("too-many-resources", "resources", "", v.m.ResourcesPos,
			"%d resources declared; at most %d are supported", n, maxResources)
	}
	v.hostPorts()
}

// hostPort is one host port the manifest requests.
type hostPort struct {
	ip    string
	port  uint16
	path  string
	pos   Pos
	res   string
	order int // declaration order, for deterministic reporting
}

// requestedPorts lists the host ports requested by the manifest in declaration order:
// postgres/redis ports (their defaults included, since they are published too) and
// every valid container port mapping.
func (v *validator) requestedPorts() []hostPort {
	var out []hostPort
	for _, r := range v.m.Resources {
		p := base(r)
		service := func(port Int, def uint16) {
			hp := hostPort{ip: "127.0.0.1", port: def, path: joinPath(p, "port"), pos: r.ConfigPos, res: r.Name}
			if port.Set {
				if port.Value < 1 || port.Value > 65535 {
					return
				}
				hp.port, hp.pos = uint16(port.Value), port.Pos
			}
			hp.order = len(out)
			out = append(out, hp)
		}
		switch {
		case r.Postgres != nil:
			service(r.Postgres.Port, 5432)
		case r.Redis != nil:
			service(r.Redis.Port, 6379)
		default:
			for i, pm := range r.Container.Ports {
				if pm.Parsed.HostPort == 0 {
					continue // invalid mapping, already reported
				}
				ip := pm.Parsed.HostIP
				if ip == "" {
					ip = "127.0.0.1"
				}
				out = append(out, hostPort{ip: ip, port: pm.Parsed.HostPort, path: indexPath(joinPath(p, "ports"), i),
					pos: pm.Pos, res: r.Name, order: len(out)})
			}
		}
	}
	return out
}

// hostPorts warns about a host port requested twice on overlapping addresses (§14).
// It remembers, per port, the first request per address, so huge inputs stay linear.
func (v *validator) hostPorts() {
	seen := map[uint16]map[string]hostPort{}
	for _, b := range v.requestedPorts() {
		byIP := seen[b.port]
		if byIP == nil {
			byIP = map[string]hostPort{}
			seen[b.port] = byIP
		}
		if a, ok := firstOverlap(byIP, b); ok {
			v.warnf("port-clash-in-manifest", b.path, b.res, b.pos,
				"host port %s is also requested by %s; it will be published on another port",
				fmt.Sprintf("%s:%d", b.ip, b.port), a.path)
		}
		if _, ok := byIP[b.ip]; !ok {
			byIP[b.ip] = b
		}
	}
}

// firstOverlap finds an earlier request of the same port whose address overlaps b's
// (0.0.0.0 overlaps every address); with several, the earliest in declaration order.
func firstOverlap(byIP map[string]hostPort, b hostPort) (hostPort, bool) {
	var found hostPort
	ok := false
	consider := func(a hostPort) {
		if !ok || a.order < found.order {
			found, ok = a, true
		}
	}
	if a, has := byIP[b.ip]; has {
		consider(a)
	}
	if a, has := byIP["0.0.0.0"]; has {
		consider(a)
	}
	if b.ip == "0.0.0.0" {
		for _, a := range byIP {
			consider(a)
		}
	}
	return found, ok
}
