package plan

import (
	"strings"
	"time"

	"github.com/lightshuttle/lsctl/manifest"
)

// Healthcheck defaults (docs/spec/manifest.md §16).
const (
	defaultInterval    = manifest.DefaultHealthInterval
	defaultTimeout     = manifest.DefaultHealthTimeout
	defaultRetries     = manifest.DefaultHealthRetries
	defaultStartPeriod = manifest.DefaultHealthStartPeriod
)

// health resolves a resource's healthcheck. kindTest is the kind's default test (nil
// for container and dockerfile): a healthcheck without `test` keeps it with the given
// timings, and only the default test waits for tcpPort and gets probeEnv
// (docs/spec/runtime.md §3.2-3.3, §11.2). ["NONE"] disables any healthcheck.
func (b *builder) health(rs *resource, kindTest []string, tcpPort uint16, probeEnv []EnvVar) *Healthcheck {
	hc := rs.r.Healthcheck
	test, isDefault := kindTest, true
	if hc != nil && hc.TestSet {
		isDefault = false
		test = make([]string, len(hc.Test))
		for i := range hc.Test {
			test[i], _ = b.resolve(rs, indexPath(rs.base+".healthcheck.test", i))
		}
	}
	if len(test) == 0 || test[0] == "NONE" {
		return nil
	}
	h := &Healthcheck{Test: test}
	switch test[0] {
	case "CMD":
		h.Argv = append([]string(nil), test[1:]...)
	case "CMD-SHELL":
		h.Argv = []string{"/bin/sh", "-c", strings.Join(test[1:], " ")}
	default:
		return nil // invalid form: validation reported it
	}
	if isDefault {
		h.TCPPort, h.Env = tcpPort, probeEnv
	}
	h.Interval, h.Timeout = defaultInterval, defaultTimeout
	h.Retries, h.StartPeriod = defaultRetries, defaultStartPeriod
	if hc != nil {
		// A zero interval or timeout means the default, as in Docker (issue 15).
		h.Interval = nonZeroOr(durationOr(hc.Interval, defaultInterval), defaultInterval)
		h.Timeout = nonZeroOr(durationOr(hc.Timeout, defaultTimeout), defaultTimeout)
		h.StartPeriod = durationOr(hc.StartPeriod, defaultStartPeriod)
		if hc.Retries.Set && hc.Retries.Value >= 1 {
			h.Retries = int(hc.Retries.Value)
		}
		h.StartInterval = durationOr(hc.StartInterval, 0)
	}
	if h.StartInterval == 0 {
		h.StartInterval = h.Interval
	}
	return h
}

// nonZeroOr returns d, or def when d is zero.
func nonZeroOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// durationOr parses a duration field, falling back to def when unset or invalid
// (validation reports invalid ones).
func durationOr(s manifest.Str, def time.Duration) time.Duration {
	if !s.Set {
		return def
	}
	d, err := manifest.ParseDuration(s.Value)
	if err != nil {
		return def
	}
	return d
}
