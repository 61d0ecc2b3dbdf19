package control

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// tokenCookie carries the dashboard token once the browser opened the printed URL.
const tokenCookie = "lsctl_token"

// newDashboardToken is the random secret of one TCP listener: any local user can
// connect to 127.0.0.1, so knowing the URL that up printed (mode 0600 log, the
// user's terminal) is what lets a client in, as with Jupyter's and Aspire's tokens.
func newDashboardToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails on Linux (getrandom)
	return hex.EncodeToString(b)
}

// presentedToken is the token a request carries: the cookie, a bearer header (for
// scripts) or the ?token= of the printed URL.
func presentedToken(r *http.Request) string {
	if c, err := r.Cookie(tokenCookie); err == nil {
		return c.Value
	}
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return v
	}
	return r.URL.Query().Get("token")
}

// authorized compares in constant time; an empty expected token authorizes nothing.
func authorized(r *http.Request, token string) bool {
	got := presentedToken(r)
	return token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// exchangeToken turns the printed URL's ?token= into an HttpOnly, SameSite=Strict
// cookie and sends the browser to the same page without it (so the token leaves
// the address bar and the history); it reports whether it answered.
func exchangeToken(w http.ResponseWriter, r *http.Request, token string) bool {
	if r.Method != http.MethodGet || r.URL.Query().Get("token") == "" {
		return false
	}
	http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	clean := *r.URL
	q := clean.Query()
	q.Del("token")
	clean.RawQuery = q.Encode()
	http.Redirect(w, r, clean.RequestURI(), http.StatusSeeOther)
	return true
}

// contentSecurityPolicy is the CSP of docs/spec/runtime.md §15.5.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every control API response carries.
func securityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
}

// sameOriginRequest applies the TCP listener protection of docs/spec/runtime.md §15.5: a
// loopback Host, no cross-site fetch, and an Origin (when present) that is http, on
// loopback, and names exactly the Host authority. A state-changing request that only
// the cookie authenticates must carry Origin: browsers send it on every such fetch, so
// its absence means a request the page did not make.
func sameOriginRequest(r *http.Request) bool {
	if r.Host != "" && !loopbackAuthority(r.Host) {
		return false
	}
	if strings.EqualFold(r.Header.Get("Sec-Fetch-Site"), "cross-site") {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return !cookieOnlyWrite(r)
	}
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "http" || u.Host == "" || !loopbackAuthority(u.Host) {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// cookieOnlyWrite reports whether a request other than GET or HEAD carries the token
// in the dashboard cookie only (neither a bearer header nor ?token=, which a script
// sends and a forged cross-site request cannot know).
func cookieOnlyWrite(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return false
	}
	if _, err := r.Cookie(tokenCookie); err != nil {
		return false
	}
	_, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return !bearer && r.URL.Query().Get("token") == ""
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
