package plan

import (
	"strings"

	"github.com/lightshuttle/lsctl/manifest"
)

// image resolves an image field and normalises it, re-checking the resolved reference
// (docs/spec/manifest.md §26.1 phase 5). blank and untagged values are reported too when the
// field held references (the validator could not see the value).
func (b *builder) image(rs *resource, path string, warnUntagged bool) string {
	v, ok := b.resolve(rs, path)
	check := rs.recheck(path, ok)
	if check && strings.TrimSpace(v) == "" {
		b.errorAt("empty-value", rs, path, rs.posOf(path), "must not be empty")
		return v
	}
	return b.checkImage(rs, path, v, check, warnUntagged)
}

// checkImage parses ref and returns its normalised form. When report is set, a parse
// failure is invalid-image and, with warnUntagged, a missing tag is untagged-image.
// A reference that does not parse is returned as written.
func (b *builder) checkImage(rs *resource, path, ref string, report, warnUntagged bool) string {
	parsed, err := manifest.ParseImageRef(ref)
	if err != nil {
		if report {
			b.errorAt("invalid-image", rs, path, rs.posOf(path),
				"invalid image reference "+manifest.QuoteInput(ref)+": "+err.Error())
		}
		return ref
	}
	if report && warnUntagged && parsed.Untagged() {
		b.diagAt(manifest.SeverityWarning, "untagged-image", rs, path, rs.posOf(path),
			"image "+manifest.QuoteInput(strings.TrimSpace(ref))+` has no tag; "latest" is implied`)
	}
	return parsed.Normalized()
}

// nonEmpty resolves a field that must not be blank after interpolation (empty-value).
// rechecked reports whether the resolved value had its grammar checked here (phase 5),
// so callers can add their own re-checks without resolving the field again.
func (b *builder) nonEmpty(rs *resource, path string) (v string, rechecked bool) {
	v, ok := b.resolve(rs, path)
	rechecked = rs.recheck(path, ok)
	if rechecked && strings.TrimSpace(v) == "" {
		b.errorAt("empty-value", rs, path, rs.posOf(path), "must not be empty")
	}
	return v, rechecked
}
