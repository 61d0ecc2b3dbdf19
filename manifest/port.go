package manifest

// This file implements port mappings (docs/spec/manifest.md §14): a YAML integer P, or a string
// "HOST:CONTAINER" or "ADDRESS:HOST:CONTAINER"; TCP only, IPv4 only.
//
// Error convention: ParsePort returns a plain error whose message is the reason only
// (for example `protocol suffixes are not supported (only TCP is published)`); the
// validator wraps it into `invalid port mapping "<m>": <reason>` (§27.2 invalid-port).

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// DefaultHostIP is the address a mapping binds to when it names none: lsctl publishes
// on loopback unless the manifest asks for more (docs/architecture.md, security posture).
const DefaultHostIP = "127.0.0.1"

// Port mapping reasons of the §14 error table.
var (
	errPortEmpty      = errors.New("the mapping is empty")
	errPortRange      = errors.New("port out of range 1–65535")
	errPortProtocol   = errors.New("protocol suffixes are not supported (only TCP is published)")
	errPortRanges     = errors.New("port ranges are not supported")
	errPortIPv6       = errors.New("IPv6 addresses are not supported")
	errPortSpace      = errors.New("whitespace is not allowed inside a mapping")
	errPortShape      = errors.New("not a mapping: expected HOST:CONTAINER or ADDRESS:HOST:CONTAINER")
	errPortNotAddress = errors.New("the address must be an IPv4 literal such as 127.0.0.1 or 0.0.0.0")
)

// ParsePort parses one port mapping (§14). isInt tells a YAML integer (text is then its
// source text, optionally signed) from a string. The result binds DefaultHostIP unless
// the string names an address.
func ParsePort(text string, isInt bool) (PortMapping, error) {
	if isInt {
		p, err := parseIntPort(text)
		if err != nil {
			return PortMapping{}, err
		}
		return PortMapping{HostIP: DefaultHostIP, HostPort: p, ContainerPort: p}, nil
	}
	return parsePortString(strings.TrimSpace(text))
}

// parseIntPort reads the integer form, which YAML may write with a sign.
func parseIntPort(text string) (uint16, error) {
	t := strings.TrimSpace(text)
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimLeft(t, "+-")
	if t == "" || strings.TrimLeft(t, "0123456789") != "" {
		return 0, fmt.Errorf("%s is not a number", quote(text))
	}
	if neg {
		return 0, errPortRange
	}
	return portNumber(t)
}

// parsePortString parses the trimmed string form. The checks run from the most specific
// mistake to the most general one so that the reason names what the author meant.
func parsePortString(s string) (PortMapping, error) {
	switch {
	case s == "":
		return PortMapping{}, errPortEmpty
	case strings.ContainsAny(s, " \t\r\n\v\f"):
		return PortMapping{}, errPortSpace
	case strings.IndexByte(s, '/') >= 0:
		return PortMapping{}, errPortProtocol
	case strings.ContainsAny(s, "[]"):
		return PortMapping{}, errPortIPv6
	}
	fields := strings.Split(s, ":")
	if len(fields) > 3 && looksIPv6(strings.Join(fields[:len(fields)-2], ":")) {
		return PortMapping{}, errPortIPv6
	}
	for _, f := range fields {
		if isPortRange(f) {
			return PortMapping{}, errPortRanges
		}
	}
	switch len(fields) {
	case 1:
		if isDigits(s) {
			return PortMapping{}, fmt.Errorf("a string needs HOST:CONTAINER; write the integer %s for the short form", s)
		}
		return PortMapping{}, errPortShape
	case 2:
		return portPair(DefaultHostIP, fields[0], fields[1])
	case 3:
		ip, err := parseIPv4(fields[0])
		if err != nil {
			return PortMapping{}, err
		}
		return portPair(ip, fields[1], fields[2])
	}
	return PortMapping{}, errPortShape
}

// portPair parses the host and container fields of a string mapping.
func portPair(ip, host, container string) (PortMapping, error) {
	h, err := portNumber(host)
	if err != nil {
		return PortMapping{}, err
	}
	c, err := portNumber(container)
	if err != nil {
		return PortMapping{}, err
	}
	return PortMapping{HostIP: ip, HostPort: h, ContainerPort: c}, nil
}

// portNumber parses port = 1*5DIGIT with a value in 1..65535. More than five digits is
// out of range whatever their value.
func portNumber(f string) (uint16, error) {
	if !isDigits(f) {
		return 0, fmt.Errorf("%s is not a number", quote(f))
	}
	if len(f) > 5 {
		return 0, errPortRange
	}
	n, _ := strconv.Atoi(f)
	if n < 1 || n > 65535 {
		return 0, errPortRange
	}
	return uint16(n), nil
}

// parseIPv4 parses a dotted quad of decimal octets 0..255 and returns its canonical form.
// Host names get their own reason because "localhost" is the usual attempt.
func parseIPv4(a string) (string, error) {
	parts := strings.Split(a, ".")
	if len(parts) != 4 {
		return "", errPortNotAddress
	}
	var octets [4]byte
	for i, p := range parts {
		if !isDigits(p) || len(p) > 3 {
			return "", errPortNotAddress
		}
		n, _ := strconv.Atoi(p)
		if n > 255 {
			return "", errPortNotAddress
		}
		octets[i] = byte(n)
	}
	return netip.AddrFrom4(octets).String(), nil
}

// looksIPv6 reports whether a (the text before HOST:CONTAINER) is an IPv6 address.
func looksIPv6(a string) bool {
	if strings.Contains(a, "::") {
		return true
	}
	addr, err := netip.ParseAddr(a)
	return err == nil && addr.Is6()
}

// isPortRange reports whether f looks like "8000-8010".
func isPortRange(f string) bool {
	lo, hi, ok := strings.Cut(f, "-")
	return ok && isDigits(lo) && isDigits(strings.ReplaceAll(hi, "-", ""))
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
