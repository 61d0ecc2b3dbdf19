package manifest

import (
	"errors"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestParseDurationValid covers the valid rows of the §17 table and checklist item 53.
func TestParseDurationValid(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"5s", 5 * time.Second},
		{"200ms", 200 * time.Millisecond},
		{"1.5s", 1500 * time.Millisecond}, // §29 item 53
		{"0.25m", 15 * time.Second},       // §29 item 53
		{"2.5ms", 2500 * time.Microsecond},
		{".5s", 500 * time.Millisecond}, // §29 item 53
		{"5.s", 5 * time.Second},        // §29 item 53
		{"  30s  ", 30 * time.Second},   // §29 item 53
		{"0s", 0},
		{"0.0ms", 0},
		{"1.0000000001s", time.Second}, // truncated toward zero
		{"1ns", 1},
		{"3us", 3 * time.Microsecond},
		{"2h", 2 * time.Hour},
		{"\t7m\n", 7 * time.Minute},
		{"0.5us", 500},
		{"1.9999999999ns", 1},
		{"007s", 7 * time.Second},
		{"1." + strings.Repeat("9", 1<<20) + "h", 2*time.Hour - 1}, // exact, and linear time
		{"0.1666666666666666666666666666666666666667m", 10 * time.Second},
		{"0.16666666666666666666666666666666666666666m", 9999999999},
		{"9223372036854775807ns", time.Duration(1<<63 - 1)},
		{"9223372036.854775807s", time.Duration(1<<63 - 1)},
		{"2562047.7880152155h", 9223372036854775800},
		// Issue 15: compound forms, as Go and the original's --grace accept.
		{"1m30s", 90 * time.Second},
		{"1h5m", time.Hour + 5*time.Minute},
		{" 1h2m3.5s ", time.Hour + 2*time.Minute + 3500*time.Millisecond},
		{"1s500ms", 1500 * time.Millisecond},
		{"30s1m", 90 * time.Second},
		{"0h0m0s", 0},
		{"1ms1us1ns", time.Millisecond + time.Microsecond + 1},
		{"2562047h47m16.854775807s", time.Duration(1<<63 - 1)},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// TestParseDurationErrors covers the error rows of the §17 table and checklist item 54.
func TestParseDurationErrors(t *testing.T) {
	tests := []struct {
		in   string
		kind DurationErrorKind
		// reason is a fragment the human reason must contain.
		reason string
	}{
		{"", DurationEmpty, "empty"},
		{"   ", DurationEmpty, "empty"},
		{"10", DurationUnknownUnit, "unit is missing"}, // §29 item 54
		{"10x", DurationUnknownUnit, `unknown unit "x"`},
		{"10sec", DurationUnknownUnit, `unknown unit "sec"`},
		{"-5s", DurationUnknownUnit, "sign"}, // §29 item 54
		{"+5s", DurationUnknownUnit, "sign"},
		{"1m30", DurationUnknownUnit, "unit is missing"},
		{"1m 30s", DurationUnknownUnit, `unknown unit "m 30s"`},
		{"1m-30s", DurationUnknownUnit, "sign"},
		{"1m30x", DurationUnknownUnit, `unknown unit "x"`},
		{"1m30S", DurationUnknownUnit, "lower case"},
		{"1m..5s", DurationMalformed, "malformed"},
		{"2562047h47m16.854775808s", DurationOverflow, "too large"},
		{"0.5ns0.5ns", DurationBelowResolution, "resolution"}, // each term truncates on its own
		{"5S", DurationUnknownUnit, "lower case"},
		{"1d", DurationUnknownUnit, `unknown unit "d"`},
		{"1e3s", DurationUnknownUnit, `unknown unit "e3s"`},
		{"5 s", DurationUnknownUnit, `unknown unit " s"`},
		{"s", DurationMalformed, "malformed"},
		{".s", DurationMalformed, "malformed"},
		{"1..2s", DurationMalformed, "malformed"}, // §29 item 54
		{"..5s", DurationMalformed, "malformed"},
		{"1.2.3s", DurationMalformed, "malformed"},
		{"99999999999999999999999h", DurationOverflow, "too large"}, // §29 item 54
		{"9223372036854775808ns", DurationOverflow, "too large"},
		{"9223372036.854775808s", DurationOverflow, "too large"},
		{"2562047.788015216h", DurationOverflow, "too large"},
		{"18446744073709551616ns", DurationOverflow, "too large"},
		{"0.5ns", DurationBelowResolution, "resolution"}, // §29 item 54
		{"0.0001us", DurationBelowResolution, "resolution"},
		{"0.00000000000000000000000000001h", DurationBelowResolution, "resolution"},
	}
	for _, tt := range tests {
		_, err := ParseDuration(tt.in)
		var de *DurationError
		if !errors.As(err, &de) {
			t.Errorf("ParseDuration(%q) error = %v; want *DurationError", tt.in, err)
			continue
		}
		if de.Kind != tt.kind || de.Input != tt.in {
			t.Errorf("ParseDuration(%q) = {%q %s}; want kind %s", tt.in, de.Input, de.Kind, tt.kind)
		}
		if !strings.Contains(de.Reason(), tt.reason) {
			t.Errorf("ParseDuration(%q) reason %q; want it to contain %q", tt.in, de.Reason(), tt.reason)
		}
		want := "invalid duration " + strconv.Quote(tt.in) + ": " + de.Reason()
		if err.Error() != want {
			t.Errorf("ParseDuration(%q).Error() = %q; want %q", tt.in, err.Error(), want)
		}
	}
}

// FuzzParseDuration checks that parsing never panics, that whitespace around a value
// changes nothing, and that a parsed duration written in nanoseconds parses back to
// the same value.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"5s", "1.5s", ".5s", "1m30s", "1h5m0.5s", "0.5ns", "99999999999999999999999h", " 30s "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		d2, err2 := ParseDuration(" \t" + s + "\n ")
		if d != d2 || (err == nil) != (err2 == nil) {
			t.Fatalf("ParseDuration(%q) = %v, %v but with spaces %v, %v", s, d, err, d2, err2)
		}
		if err != nil {
			var de *DurationError
			if !errors.As(err, &de) || de.Reason() == "" {
				t.Fatalf("ParseDuration(%q) error %v is not a DurationError with a reason", s, err)
			}
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
		if want, ok := bigDuration(s); !ok || want != d {
			t.Fatalf("ParseDuration(%q) = %d; exact arithmetic gives %d (%v)", s, d, want, ok)
		}
		back, err := ParseDuration(strconv.FormatInt(int64(d), 10) + "ns")
		if err != nil || back != d {
			t.Fatalf("ParseDuration(%q) = %v does not re-parse: %v, %v", s, d, back, err)
		}
	})
}

// bigDuration is an independent oracle for valid inputs: per term, the number times the
// unit in arbitrary-precision rationals, truncated; then the sum of the terms.
func bigDuration(s string) (time.Duration, bool) {
	sizes := map[string]int64{"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9}
	terms := regexp.MustCompile(`([0-9.]+)([a-z]+)`).FindAllStringSubmatch(strings.TrimSpace(s), -1)
	sum := new(big.Int)
	for _, m := range terms {
		r, ok := new(big.Rat).SetString(m[1])
		if !ok {
			return 0, false
		}
		r.Mul(r, new(big.Rat).SetInt64(sizes[m[2]]))
		sum.Add(sum, new(big.Int).Quo(r.Num(), r.Denom()))
	}
	return time.Duration(sum.Int64()), sum.IsInt64()
}

// FormatDuration writes the largest exact unit, and its output parses back to the same value.
func TestFormatDurationRoundTrips(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0s", 90 * time.Second: "90s", 2 * time.Hour: "2h",
		1500 * time.Millisecond: "1500ms", 3 * time.Minute: "3m", 7: "7ns"} {
		got := FormatDuration(d)
		back, err := ParseDuration(got)
		if got != want || err != nil || back != d {
			t.Errorf("FormatDuration(%v) = %q (parses to %v, %v), want %q", d, got, back, err, want)
		}
	}
}
