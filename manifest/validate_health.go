package manifest

import (
	"strconv"
	"time"
)

// healthcheck runs phase 3 on a healthcheck (§16, §17).
func (v *validator) healthcheck(r *Resource, h *Healthcheck, p string) {
	if h.TestSet && !v.badTest[h] {
		if msg := testFormError(h.Test); msg != "" {
			v.errorf("invalid-healthcheck", joinPath(p, "test"), r.Name, h.TestPos, "%s", msg)
		}
	}
	for _, f := range []struct {
		name string
		s    Str
		min  time.Duration
	}{
		{"interval", h.Interval, time.Millisecond},
		{"timeout", h.Timeout, time.Millisecond},
		{"start_period", h.StartPeriod, 0},
		{"start_interval", h.StartInterval, time.Millisecond},
	} {
		if !f.s.Set {
			continue
		}
		fp := joinPath(p, f.name)
		dur, err := ParseDuration(f.s.Value)
		switch {
		case err != nil:
			v.errorf("invalid-duration", fp, r.Name, f.s.Pos,
				"invalid duration %s: %s; expected a number and a unit such as 500ms, 5s, 1.5m", strconv.Quote(f.s.Value), reason(err))
		case dur < f.min:
			v.errorf("invalid-healthcheck", fp, r.Name, f.s.Pos, "%s must be at least 1ms, found %s", f.name, strconv.Quote(f.s.Value))
		}
	}
	if h.Retries.Set && h.Retries.Value < 1 {
		v.errorf("invalid-healthcheck", joinPath(p, "retries"), r.Name, h.Retries.Pos,
			"retries must be at least 1, found %d", h.Retries.Value)
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
			return "test " + strconv.Quote(first) + " needs at least one more element (the command to run)"
		}
	case "NONE":
		if len(test) > 1 {
			return `test ["NONE"] takes no further elements`
		}
	default:
		return "the first element of test must be \"CMD\", \"CMD-SHELL\" or \"NONE\", found " + strconv.Quote(first)
	}
	return ""
}
