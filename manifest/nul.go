package manifest

import "strings"

// A NUL byte ends a C string: no environment variable, argument or path can hold one,
// and runc refuses the container with the whole variable (a secret too) in its error.
// lsctl rejects it while validating instead, naming the field and never the value
// (docs/spec/manifest.md §27.2 nul-in-value).

// NULMessage is the nul-in-value message, after the field path.
const NULMessage = "the value contains a NUL byte, which no environment variable, argument or path can hold; remove it (the value is not shown)"

// HasNUL reports whether s contains a NUL byte.
func HasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

// nulBytes reports every interpolated field of r whose text contains a NUL byte
// (phase 3); literal() then skips the field, so its grammar check adds no second error.
// A NUL that only interpolation brings in is the plan's phase-5 re-check.
func (v *validator) nulBytes(r *Resource) {
	for _, f := range r.Interpolated() {
		if HasNUL(f.Text) {
			v.errorf("nul-in-value", f.Path, r.Name, f.Pos, "%s", NULMessage)
		}
	}
}
