package plan

import (
	"bytes"
	"net/netip"
)

// Host offsets within a project /24 (docs/spec/runtime.md §5.2): .1 is the gateway.
const (
	firstOffset = 2
	lastOffset  = 254
)

// assignOffsets gives every resource its host offset: resources of the existing table
// keep theirs, the others take the lowest free offset in declaration order. Offsets of
// resources no longer declared are released.
func assignOffsets(names []string, existing map[string]int) map[string]int {
	out := make(map[string]int, len(names))
	used := map[int]bool{}
	for _, n := range names {
		off, ok := existing[n]
		if ok && off >= firstOffset && off <= lastOffset && !used[off] {
			out[n] = off
			used[off] = true
		}
	}
	next := firstOffset
	for _, n := range names {
		if _, ok := out[n]; ok {
			continue
		}
		for used[next] {
			next++
		}
		if next > lastOffset {
			break // more than 253 resources: validation rejects the manifest
		}
		out[n] = next
		used[next] = true
	}
	return out
}

// AssignSubnet sets the project subnet, its gateway (.1) and every node's address
// (subnet base + host offset), with the lightshuttle.ip label.
func (p *Plan) AssignSubnet(prefix netip.Prefix) {
	prefix = prefix.Masked()
	p.Network.Subnet = prefix
	p.Network.Gateway = addOffset(prefix.Addr(), 1)
	for _, n := range p.Nodes {
		off := n.Spec.HostOffset
		if o, ok := p.Network.Offsets[n.Name]; ok {
			off = o
		}
		n.Spec.HostOffset = off
		n.Spec.IP = addOffset(prefix.Addr(), off)
		if n.Spec.Labels == nil {
			n.Spec.Labels = map[string]string{}
		}
		n.Spec.Labels[LabelIP] = n.Spec.IP.String()
	}
}

// addOffset adds a small host offset to an IPv4 base address.
func addOffset(base netip.Addr, off int) netip.Addr {
	a := base.As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(off)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// HostsFile is the project's shared /etc/hosts (docs/spec/runtime.md §5.4): loopback entries,
// then one line per resource in declaration order with its plain and qualified names.
// Resources without an address yet (no subnet assigned) are left out.
func (p *Plan) HostsFile() []byte {
	var b bytes.Buffer
	b.WriteString("127.0.0.1\tlocalhost\n")
	b.WriteString("::1\tlocalhost ip6-localhost ip6-loopback\n")
	for _, n := range p.Nodes {
		if !n.Spec.IP.IsValid() {
			continue
		}
		b.WriteString(n.Spec.IP.String())
		b.WriteByte('\t')
		b.WriteString(n.Name)
		b.WriteByte(' ')
		b.WriteString(p.Project + "_" + n.Name)
		b.WriteByte('\n')
	}
	return b.Bytes()
}
