package manifest

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file keeps diagnostics short whatever the input (docs/spec/manifest.md §27.1): a message
// quotes at most maxQuoted characters of any text it took from the manifest, so a
// 20 kB resource name gives one short line that still names the rule it broke.

// maxQuoted is how many characters of user input a diagnostic quotes: the first
// clipHead and the last clipTail around "…", so that both ends of a long host path or
// volume mapping stay visible.
const (
	maxQuoted = 64
	clipHead  = 40
	clipTail  = maxQuoted - clipHead
)

// ellipsis marks text that Clip cut.
const ellipsis = "…"

// Clip returns s when it has at most maxQuoted characters, else its first and last
// characters around "…".
func Clip(s string) string {
	if len(s) <= maxQuoted || utf8.RuneCountInString(s) <= maxQuoted {
		return s
	}
	head := 0
	for n := 0; n < clipHead; n++ {
		_, size := utf8.DecodeRuneInString(s[head:])
		head += size
	}
	tail := len(s)
	for n := 0; n < clipTail; n++ {
		_, size := utf8.DecodeLastRuneInString(s[:tail])
		tail -= size
	}
	return s[:head] + ellipsis + s[tail:]
}

// QuoteInput renders user input in double quotes with Go escapes, clipped as Clip
// does: the form every diagnostic uses for offending text.
func QuoteInput(s string) string { return strconv.Quote(Clip(s)) }

// quote is QuoteInput, the short name this package's messages use.
func quote(s string) string { return QuoteInput(s) }

// ClipPath shortens every over-long component of a field path for display: a plain
// component is clipped as Clip does, a quoted key (`env["a b"]`) is clipped inside its
// quotes. Paths stay whole where they identify fields; only diagnostics clip them.
func ClipPath(p string) string {
	if len(p) <= maxQuoted {
		return p
	}
	var b strings.Builder
	for p != "" {
		if p[0] == '"' {
			if q, err := strconv.QuotedPrefix(p); err == nil {
				if s, err := strconv.Unquote(q); err == nil {
					b.WriteString(QuoteInput(s))
					p = p[len(q):]
					continue
				}
			}
		}
		i := strings.IndexAny(p, `.[]"`)
		switch {
		case i == 0:
			b.WriteByte(p[0])
			p = p[1:]
			continue
		case i < 0:
			i = len(p)
		}
		b.WriteString(Clip(p[:i]))
		p = p[i:]
	}
	return b.String()
}
