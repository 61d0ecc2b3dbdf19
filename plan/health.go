package plan

import (
	"fmt"
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
// native is the kind's native probe, used instead of an exec of the default test.
func (b *builder) health(rs *resource, kindTest []string, tcpPort uint16, probeEnv []EnvVar, native *NativeProbe) *Healthcheck {
	hc := rs.r.Healthcheck
	test, isDefault := kindTest, true
	if hc != nil && !hc.TestForm() {
		test, native, isDefault = nativeTest(hc), nativeForm(hc), false
		if native == nil {
			return nil // invalid: validation reported it
		}
	} else if hc != nil && hc.TestSet {
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
	if isDefault || !hc.TestForm() {
		h.Native = native
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

// nativeForm is the native probe of an http or tcp healthcheck (docs/spec/manifest.md §16.1),
// nil when its port is invalid.
func nativeForm(hc *manifest.Healthcheck) *NativeProbe {
	if c := hc.HTTP; c != nil {
		if c.Port.Value < 1 || c.Port.Value > 65535 {
			return nil
		}
		n := &NativeProbe{Protocol: ProbeHTTP, Port: uint16(c.Port.Value), Path: "/"}
		if c.Path.Set {
			n.Path = c.Path.Value
		}
		n.Status = int(c.Status.Value)
		return n
	}
	if hc.TCP.Value < 1 || hc.TCP.Value > 65535 {
		return nil
	}
	return &NativeProbe{Protocol: ProbeTCP, Port: uint16(hc.TCP.Value)}
}

// nativeTest is the exec equivalent of an http or tcp healthcheck, kept in Test and
// Argv for exports whose target has no native form: busybox-style wget and nc, which
// most base images carry. wget fails on any status of 400 or more (and follows
// redirects), so an exact status is not checked there.
func nativeTest(hc *manifest.Healthcheck) []string {
	if c := hc.HTTP; c != nil {
		path := "/"
		if c.Path.Set {
			path = c.Path.Value
		}
		url := fmt.Sprintf("http://127.0.0.1:%d%s", c.Port.Value, path)
		return []string{"CMD-SHELL", "wget -q -O /dev/null '" + url + "' || exit 1"}
	}
	return []string{"CMD-SHELL", fmt.Sprintf("nc -z 127.0.0.1 %d || exit 1", hc.TCP.Value)}
}
