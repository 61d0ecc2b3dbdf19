package cli

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// contentSecurityPolicy is the CSP of runtime.md §15.5.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every control API response carries.
func securityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
}

// sameOriginRequest applies the TCP listener protection of runtime.md §15.5: a
// loopback Host, no cross-site fetch, and an Origin (when present) that is http, on
// loopback, and names exactly the Host authority.
func sameOriginRequest(r *http.Request) bool {
	if r.Host != "" && !loopbackAuthority(r.Host) {
		return false
	}
	if strings.EqualFold(r.Header.Get("Sec-Fetch-Site"), "cross-site") {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "http" || u.Host == "" || !loopbackAuthority(u.Host) {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// loopbackAuthority reports whether host[:port] names 127.0.0.1, localhost or [::1].
func loopbackAuthority(authority string) bool {
	host := authority
	if h, _, err := net.SplitHostPort(authority); err == nil {
		host = h
	} else if strings.HasPrefix(authority, "[") && strings.HasSuffix(authority, "]") {
		host = authority[1 : len(authority)-1]
	}
	switch strings.ToLower(host) {
	case "127.0.0.1", "localhost", "::1":
		return true
	}
	return false
}
