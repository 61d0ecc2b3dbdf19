package manifest

// This file implements the duration grammar of docs/spec/manifest.md §17, the one parser behind
// healthcheck timings and the CLI duration flags.
//
// Error convention: ParseDuration returns a *DurationError. Its Error() is the complete
// "invalid duration "<v>": <reason>" text; Reason() is the human reason alone, for callers
// that build the §27.2 invalid-duration message themselves.

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// FormatDuration writes d in the manifest grammar (docs/spec/manifest.md §17) with the largest
// unit that represents it exactly, so the output parses back to the same value.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	units := []struct {
		size time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}, {time.Microsecond, "us"}}
	for _, u := range units {
		if d%u.size == 0 {
			return strconv.FormatInt(int64(d/u.size), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(d), 10) + "ns"
}

// unitSize is a unit's size in nanoseconds written as c × 10^exp, so that scaling a
// decimal number is a shift of its point and a multiplication by a small c: exact, with
// no floating point and no arbitrary-precision arithmetic (§17 step 5).
type unitSize struct {
	c   uint64
	exp int
}

// durationUnits maps each unit of §17 to its size.
var durationUnits = map[string]unitSize{
	"ns": {1, 0},
	"us": {1, 3},
	"ms": {1, 6},
	"s":  {1, 9},
	"m":  {6, 10},
	"h":  {36, 11},
}

// pow10 holds 10^0 .. 10^19.
var pow10 = func() [20]uint64 {
	var p [20]uint64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// ParseDuration parses the duration grammar of §17: one or more terms, each a decimal
// number (optionally with a fraction) and one of the units ns, us, ms, s, m, h, written
// without spaces between them ("1m30s", "1h5m", as Go and the original's --grace accept),
// surrounded by optional whitespace. Each term is computed exactly and truncated toward
// zero to whole nanoseconds; the value is their sum.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, &DurationError{Input: s, Kind: DurationEmpty}
	}
	var total uint64
	nonZero := false
	for rest := t; rest != ""; {
		number, unit, tail := nextTerm(rest)
		size, ok := durationUnits[unit]
		if !ok {
			return 0, &DurationError{Input: s, Kind: DurationUnknownUnit, at: len(t) - len(rest)}
		}
		whole, frac, ok := splitDecimal(number)
		if !ok {
			return 0, &DurationError{Input: s, Kind: DurationMalformed}
		}
		v, ok := scaleDecimal(whole, frac, size)
		if ok {
			total, ok = addDuration(total, v)
		}
		if !ok {
			return 0, &DurationError{Input: s, Kind: DurationOverflow}
		}
		nonZero = nonZero || strings.Trim(whole+frac, "0") != ""
		rest = tail
	}
	if total == 0 && nonZero {
		return 0, &DurationError{Input: s, Kind: DurationBelowResolution}
	}
	return time.Duration(total), nil
}

// nextTerm splits one term off the front of s: the number is the longest prefix of
// digits and dots, the unit every following character up to the next digit, dot or sign
// (a sign starts a term that unknownUnitReason explains).
func nextTerm(s string) (number, unit, rest string) {
	n := 0
	for n < len(s) && isNumberByte(s[n]) {
		n++
	}
	u := n
	for u < len(s) && !isNumberByte(s[u]) && s[u] != '-' && s[u] != '+' {
		u++
	}
	return s[:n], s[n:u], s[u:]
}

// addDuration adds two term values; ok is false past the largest time.Duration.
func addDuration(a, b uint64) (uint64, bool) {
	sum := a + b
	return sum, sum >= a && sum <= math.MaxInt64
}

func isNumberByte(c byte) bool { return isDigit(c) || c == '.' }

// splitDecimal splits a number made of digits and dots into its integer and fraction
// digits, without leading zeros of the integer part or trailing zeros of the fraction
// (they change nothing and would only slow the arithmetic down). ok is false when the
// number has more than one dot or no digit at all (§17 step 4).
func splitDecimal(number string) (whole, frac string, ok bool) {
	whole, frac, dotted := strings.Cut(number, ".")
	if dotted && strings.IndexByte(frac, '.') >= 0 {
		return "", "", false
	}
	if whole == "" && frac == "" {
		return "", "", false
	}
	return strings.TrimLeft(whole, "0"), strings.TrimRight(frac, "0"), true
}

// scaleDecimal computes trunc(whole.frac × size) exactly. ok is false when the result
// exceeds the largest time.Duration. Work is linear in the number of digits, so even a
// megabyte-long fraction is cheap.
func scaleDecimal(whole, frac string, size unitSize) (uint64, bool) {
	shift := min(size.exp, len(frac))
	intDigits := strings.TrimLeft(whole+frac[:shift], "0")
	zeros := size.exp - shift
	if intDigits != "" && len(intDigits)+zeros > 19 {
		return 0, false // at least 10^19 > MaxInt64
	}
	n := uint64(0)
	if intDigits != "" {
		n, _ = strconv.ParseUint(intDigits, 10, 64) // at most 19 digits: always fits
	}
	hi, lo := bits.Mul64(n*pow10[zeros], size.c)
	v, carry := bits.Add64(lo, fractionCarry(frac[shift:], size.c), 0)
	if hi != 0 || carry != 0 || v > math.MaxInt64 {
		return 0, false
	}
	return v, true
}

// fractionCarry returns trunc(0.digits × c) for a small c by schoolbook multiplication
// from the last digit: the carry out of the first digit is the integer part.
func fractionCarry(digits string, c uint64) uint64 {
	var carry uint64
	for i := len(digits) - 1; i >= 0; i-- {
		carry = (uint64(digits[i]-'0')*c + carry) / 10
	}
	return carry
}

// isDigit reports whether c is an ASCII decimal digit.
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Reason is the human reason of the error, without the offending input.
func (e *DurationError) Reason() string { return e.reason() }

// reason explains the error per kind; for an unknown unit it names the unit and, for the
// usual mistakes (a sign, a compound value, an upper-case unit), says what is wrong.
func (e *DurationError) reason() string {
	switch e.Kind {
	case DurationEmpty:
		return "the value is empty"
	case DurationUnknownUnit:
		return unknownUnitReason(strings.TrimSpace(e.Input)[e.at:])
	case DurationMalformed:
		return "the number is malformed (at most one \".\" and at least one digit)"
	case DurationOverflow:
		return "the value is too large (at most about 292 years)"
	case DurationBelowResolution:
		return "the value is below the 1ns resolution"
	}
	return string(e.Kind)
}

// unknownUnitReason describes why the text after the number of the failing term t (the
// input from that term on) is not one of the units; for the usual mistakes (a sign, an
// upper-case unit) it says what is wrong.
func unknownUnitReason(t string) string {
	if t != "" && (t[0] == '-' || t[0] == '+') {
		return "a sign is not allowed"
	}
	n := 0
	for n < len(t) && isNumberByte(t[n]) {
		n++
	}
	unit := t[n:]
	const units = " (units: ns, us, ms, s, m, h)"
	switch {
	case unit == "":
		return "the unit is missing" + units
	case isUnit(strings.ToLower(unit)):
		return "unknown unit " + quote(unit) + "; units are lower case" + units
	}
	return "unknown unit " + quote(unit) + units
}

// isUnit reports whether u is one of the §17 units.
func isUnit(u string) bool {
	_, ok := durationUnits[u]
	return ok
}
