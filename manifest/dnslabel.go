package manifest

// This file implements the DNS-label derivation dns(s) of docs/spec/manifest.md §19, used for the
// project network name and any other artefact name that must be a DNS label.

import "strings"

// FNV-1a 32-bit parameters (§19 step 3).
const (
	fnv32Offset = 0x811c9dc5
	fnv32Prime  = 0x01000193
)

// maxSanitizedLen is what is kept of a sanitised name so that "-" and the 8-digit hash
// still fit in a 63-character label (54 + 1 + 8 = 63).
const maxSanitizedLen = 54

// IsDNSLabel reports whether s is 1-63 characters of [a-z0-9-], starting and ending with
// [a-z0-9] (§19 step 1).
func IsDNSLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLowerAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

// DNSLabel derives a DNS label from a name (§19): a name that already is one is kept;
// any other gets a sanitised prefix plus the FNV-1a hash of the original, so names that
// differ only in characters the sanitiser maps to "-" never collide.
func DNSLabel(s string) string {
	if IsDNSLabel(s) {
		return s
	}
	h := FNV32a(s)
	clean := sanitizeLabel(s)
	if clean == "" {
		return h
	}
	return clean + "-" + h
}

// sanitizeLabel lowercases ASCII letters, turns every other code point outside [a-z0-9]
// into "-", strips "-" at both ends, keeps at most 54 characters and strips trailing "-"
// again (§19 step 4). Invalid UTF-8 bytes count as one code point each.
func sanitizeLabel(s string) string {
	var b strings.Builder
	b.Grow(min(len(s), maxSanitizedLen*2))
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			b.WriteByte(byte(r - 'A' + 'a'))
		case r < 0x80 && isLowerAlnum(byte(r)):
			b.WriteByte(byte(r))
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > maxSanitizedLen {
		out = strings.TrimRight(out[:maxSanitizedLen], "-")
	}
	return out
}

// FNV32a returns the FNV-1a 32-bit hash of s as 8 lowercase hex digits (§19 step 3).
func FNV32a(s string) string {
	h := uint32(fnv32Offset)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= fnv32Prime
	}
	const digits = "0123456789abcdef"
	var out [8]byte
	for i := 7; i >= 0; i-- {
		out[i] = digits[h&0xf]
		h >>= 4
	}
	return string(out[:])
}
