package export

import (
	"strings"

	"github.com/lightshuttle/lsctl/manifest"
)

// dnsName is the Kubernetes object name of a manifest name: the DNS-label derivation of
// docs/spec/manifest.md §19, so that `foo_bar` (foo-bar-01efffdd) and `foo-bar` never collide.
func dnsName(s string) string { return manifest.DNSLabel(s) }

// envIdent turns a resource name into the upper-case prefix of a compose variable:
// `my-api` -> MY_API.
func envIdent(s string) string {
	var b strings.Builder
	for _, c := range strings.ToUpper(s) {
		if c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// isConfigKey reports whether s is a valid ConfigMap/Secret key ([-._a-zA-Z0-9]+, at most
// 253 characters): other environment keys cannot be carried by envFrom.
func isConfigKey(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}
