package manifest

import (
	"strconv"
	"strings"
	"time"
)

// Healthcheck defaults (§16), shared with the plan, which applies them.
const (
	DefaultHealthInterval    = 5 * time.Second
	DefaultHealthTimeout     = 3 * time.Second
	DefaultHealthRetries     = 5
	DefaultHealthStartPeriod = 5 * time.Second
)

// healthcheck runs phase 3 on a healthcheck (§16, §17). A zero interval, timeout or
// retries means the default, as in Docker (upstream manifests write them): a warning
// names the value used instead of an error (issue 15).
func (v *validator) healthcheck(r *Resource, h *Healthcheck, p string) {
	v.nativeForms(r, h, p)
	if h.TestSet && !v.badTest[h] {
		if msg := testFormError(h.Test); msg != "" {
			v.errorf("invalid-healthcheck", joinPath(p, "test"), r.Name, h.TestPos, "%s", msg)
		}
	}
	for _, f := range []struct {
		name    string
		s       Str
		zeroDef time.Duration // the default a zero value means; 0: zero is an error
		min     time.Duration
	}{
		{"interval", h.Interval, DefaultHealthInterval, time.Millisecond},
		{"timeout", h.Timeout, DefaultHealthTimeout, time.Millisecond},
		{"start_period", h.StartPeriod, 0, 0},
		{"start_interval", h.StartInterval, 0, time.Millisecond},
	} {
		if !f.s.Set {
			continue
		}
		fp := joinPath(p, f.name)
		dur, err := ParseDuration(f.s.Value)
		switch {
		case err != nil:
			v.errorf("invalid-duration", fp, r.Name, f.s.Pos,
				"invalid duration %s: %s; expected a number and a unit such as 500ms, 5s, 1.5m or 1m30s", quote(f.s.Value), reason(err))
		case dur == 0 && f.zeroDef > 0:
			v.warnf("healthcheck-zero", fp, r.Name, f.s.Pos, "%s %s means the default: %s is used", f.name, quote(f.s.Value), f.zeroDef)
		case dur < f.min:
			v.errorf("invalid-healthcheck", fp, r.Name, f.s.Pos, "%s must be at least 1ms, found %s", f.name, quote(f.s.Value))
		}
	}
	switch {
	case h.Retries.Set && h.Retries.Value == 0:
		v.warnf("healthcheck-zero", joinPath(p, "retries"), r.Name, h.Retries.Pos,
			"retries 0 means the default: %d is used", DefaultHealthRetries)
	case h.Retries.Set && h.Retries.Value < 0:
		v.errorf("invalid-healthcheck", joinPath(p, "retries"), r.Name, h.Retries.Pos,
			"retries must be 0 (the default, %d) or more, found %d", DefaultHealthRetries, h.Retries.Value)
	}
}

// testFormError checks the forms of a healthcheck test (§16); "" means valid. A first
// element that contains references is judged by the plan once resolved.
func testFormError(test []Str) string {
	if len(test) == 0 {
		return `test is empty; use ["NONE"] to disable the healthcheck`
	}
	first, ok := literal(test[0])
	if !ok {
		return ""
	}
	switch first {
	case "CMD", "CMD-SHELL":
		if len(test) < 2 {
			return "test " + quote(first) + " needs at least one more element (the command to run)"
		}
	case "NONE":
		if len(test) > 1 {
			return `test ["NONE"] takes no further elements`
		}
	default:
		return "the first element of test must be \"CMD\", \"CMD-SHELL\" or \"NONE\", found " + quote(first)
	}
	return ""
}

// nativeForms checks the http and tcp forms (§16.1): container and dockerfile kinds only,
// one form per healthcheck, ports 1-65535, an absolute path, a status 100-599.
func (v *validator) nativeForms(r *Resource, h *Healthcheck, p string) {
	forms := 0
	for _, set := range []bool{h.TestSet, h.HTTP != nil, h.TCP.Set} {
		if set {
			forms++
		}
	}
	if h.TestForm() {
		return
	}
	at, field := h.TCP.Pos, "tcp"
	if h.HTTP != nil {
		at, field = h.HTTP.Pos, "http"
	}
	switch {
	case r.Kind != KindContainer && r.Kind != KindDockerfile:
		v.errorf("invalid-healthcheck", joinPath(p, field), r.Name, at,
			"the %s form is for container and dockerfile resources; a %s resource is probed over its own protocol already, so remove %s or use test", field, r.Kind, field)
	case forms > 1:
		v.errorf("invalid-healthcheck", joinPath(p, field), r.Name, at,
			"a healthcheck takes one of test, http and tcp; remove all but one")
	}
	if h.TCP.Set {
		v.probePort(r, joinPath(p, "tcp"), h.TCP)
	}
	if c := h.HTTP; c != nil {
		v.httpCheck(r, c, joinPath(p, "http"))
	}
}

// httpCheck checks the fields of the http form.
func (v *validator) httpCheck(r *Resource, c *HTTPCheck, p string) {
	if !c.Port.Set {
		v.errorf("missing-field", p, r.Name, c.Pos, "missing required field %q: the container port to send GET to", "port")
	} else {
		v.probePort(r, joinPath(p, "port"), c.Port)
	}
	if path := c.Path.Value; c.Path.Set && (!strings.HasPrefix(path, "/") || strings.ContainsFunc(path, isSpaceOrControl)) {
		v.errorf("invalid-healthcheck", joinPath(p, "path"), r.Name, c.Path.Pos,
			"path %s must start with / and contain no spaces or control characters, e.g. /healthz", quote(path))
	}
	if c.Status.Set && (c.Status.Value < 100 || c.Status.Value > 599) {
		v.errorf("invalid-healthcheck", joinPath(p, "status"), r.Name, c.Status.Pos,
			"status %d is not an HTTP status; use 100-599, or omit it to accept any 2xx or 3xx", c.Status.Value)
	}
}

// probePort checks a native probe's container port.
func (v *validator) probePort(r *Resource, p string, port Int) {
	if port.Value < 1 || port.Value > 65535 {
		v.errorf("invalid-port", p, r.Name, port.Pos,
			"healthcheck port %s is out of range 1-65535", quote(strconv.FormatInt(port.Value, 10)))
	}
}

func isSpaceOrControl(c rune) bool { return c <= ' ' || c == 0x7f }
