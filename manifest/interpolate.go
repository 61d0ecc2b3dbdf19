package manifest

// This file implements the interpolation grammar of docs/spec/manifest.md §21: parsing (§21.2-21.4),
// resolution (§21.5), the reserved ${secret.*} scheme (§21.6), and the queries the
// validator, the plan and `secrets check` need (resource references in §22.1 order,
// env references with reached-ness for §25).
//
// Error convention: ParseTemplate returns a *TemplateError whose Code is the diagnostic
// code and whose Reason (also its Error()) is the reason alone, without the offending
// text; the validator builds `invalid interpolation in "<text>": <reason>` (§27.2) and
// decides whether the text may be shown (secret fields). Reasons never quote user text.

import (
	"slices"
	"strings"
)

// Template error codes (§21.3, §21.4).
const (
	tmplCodeSyntax  = "invalid-interpolation"
	tmplCodeTooDeep = "interpolation-too-deep"
)

// maxTemplateDepth is the deepest reference allowed (§21.4).
const maxTemplateDepth = 10

// Template syntax reasons (§21.3).
const (
	reasonUnterminatedRef    = `unterminated "${"`
	reasonUnterminatedEscape = `unterminated "${{" (an escape ends at the first "}}")`
	reasonUnknownScheme      = `unknown reference scheme (expected env. or resources.)`
	reasonNoProperty         = `resource reference without a property (expected ${resources.<name>.<property>})`
	reasonEmptyResourcePart  = `empty resource name or property`
	reasonNesting            = `nesting is only allowed inside an env default`
	reasonBadVarName         = `invalid variable name (names match [A-Za-z_][A-Za-z0-9_]*; hint: use ":-" for a default)`
	reasonTooDeep            = `interpolation nested deeper than 10 levels`
)

// TemplateError is a syntax error in an interpolated string. Code is
// "invalid-interpolation" or "interpolation-too-deep".
type TemplateError struct {
	Code   string
	Reason string
}

func (e *TemplateError) Error() string { return e.Reason }

// syntaxError returns an invalid-interpolation error.
func syntaxError(reason string) *TemplateError {
	return &TemplateError{Code: tmplCodeSyntax, Reason: reason}
}

// ResourceRef is a ${resources.<Resource>.<Property>} reference.
type ResourceRef struct{ Resource, Property string }

// EnvRef is one ${env.<Name>[:-<Default>]} reference. Default is the raw default text.
type EnvRef struct {
	Name       string
	HasDefault bool
	Default    string
}

// EnvUse is an EnvRef together with whether evaluation reaches it under a given
// environment (references inside a default are reached only when the outer variable
// is unset, §21.5).
type EnvUse struct {
	EnvRef
	Reached bool
}

// segKind tells the parts of a template apart.
type segKind uint8

const (
	segLiteral  segKind = iota // text copied as is
	segEscape                  // ${{...}}: raw is the escape, the value is raw without one brace pair
	segSecret                  // ${secret.*}: kept literally (§21.6)
	segResource                // ${resources.name.prop}
	segEnv                     // ${env.name[:-default]}
)

// segment is one part of a parsed template. raw is always the source text.
type segment struct {
	kind       segKind
	raw        string
	name       string // env variable or resource name
	prop       string // resource property
	hasDefault bool
	defRaw     string
	def        []segment
}

// Template is a parsed interpolated string. Its methods accept a nil *Template (the
// result of a failed parse) and treat it as the empty string.
type Template struct {
	raw  string
	segs []segment
	// hasEnv and hasResource tell whether resolution can change the text at all.
	hasEnv, hasResource bool
}

// ParseTemplate parses s per §21.2-21.4 (syntax only; names are not checked here).
func ParseTemplate(s string) (*Template, error) {
	t := &Template{raw: s}
	if !strings.Contains(s, "${") {
		if s != "" {
			t.segs = []segment{{kind: segLiteral, raw: s}}
		}
		return t, nil
	}
	segs, err := t.parseText(s, 1)
	if err != nil {
		return nil, err
	}
	t.segs = segs
	return t, nil
}

// parseText parses text whose references sit at the given depth: the field itself is
// depth 1, a default of a depth-d reference is depth d+1.
func (t *Template) parseText(s string, depth int) ([]segment, error) {
	// Every reference or escape may be followed by a literal: one allocation suffices.
	segs := make([]segment, 0, 2*strings.Count(s, "${")+1)
	for s != "" {
		i := strings.Index(s, "${")
		if i < 0 {
			return append(segs, segment{kind: segLiteral, raw: s}), nil
		}
		if i > 0 {
			segs = append(segs, segment{kind: segLiteral, raw: s[:i]})
			s = s[i:]
		}
		if strings.HasPrefix(s, "${{") {
			end := escapeEnd(s)
			if end < 0 {
				return nil, syntaxError(reasonUnterminatedEscape)
			}
			segs = append(segs, segment{kind: segEscape, raw: s[:end]})
			s = s[end:]
			continue
		}
		end, err := referenceEnd(s)
		if err != nil {
			return nil, err
		}
		seg, err := t.parseReference(s[:end], depth)
		if err != nil {
			return nil, err
		}
		segs = append(segs, seg)
		s = s[end:]
	}
	return segs, nil
}

// escapeEnd returns the length of the escape at the start of s ("${{" up to and
// including the first "}}"), or -1 when it is not terminated.
func escapeEnd(s string) int {
	i := strings.Index(s[3:], "}}")
	if i < 0 {
		return -1
	}
	return 3 + i + 2
}

// referenceEnd returns the length of the reference at the start of s (which begins with
// "${"). A nesting counter starting at 1 goes up at "${" and down at "}"; escapes are
// skipped as a unit so their braces do not count (§21.2).
func referenceEnd(s string) (int, error) {
	open := 1
	for k := 2; k < len(s); {
		j := strings.IndexAny(s[k:], "$}")
		if j < 0 {
			break
		}
		k += j
		switch {
		case strings.HasPrefix(s[k:], "${{"):
			end := escapeEnd(s[k:])
			if end < 0 {
				return 0, syntaxError(reasonUnterminatedEscape)
			}
			k += end
		case strings.HasPrefix(s[k:], "${"):
			open++
			k += 2
		case s[k] == '}':
			open--
			k++
			if open == 0 {
				return k, nil
			}
		default:
			k++
		}
	}
	return 0, syntaxError(reasonUnterminatedRef)
}

// parseReference parses one complete reference "${body}" found at depth.
func (t *Template) parseReference(ref string, depth int) (segment, error) {
	body := ref[2 : len(ref)-1]
	switch {
	case strings.HasPrefix(body, "secret."):
		// Reserved: kept literally like an escape, so it neither counts for depth nor
		// is looked into (§21.6).
		return segment{kind: segSecret, raw: ref}, nil
	case depth > maxTemplateDepth:
		return segment{}, &TemplateError{Code: tmplCodeTooDeep, Reason: reasonTooDeep}
	case strings.HasPrefix(body, "resources."):
		t.hasResource = true
		return parseResourceRef(ref, body[len("resources."):])
	case strings.HasPrefix(body, "env."):
		t.hasEnv = true
		return t.parseEnvRef(ref, body[len("env."):], depth)
	}
	return segment{}, syntaxError(reasonUnknownScheme)
}

// parseResourceRef parses the "<name>.<property>" part of a resource reference.
func parseResourceRef(ref, rest string) (segment, error) {
	if strings.Contains(rest, "${") {
		return segment{}, syntaxError(reasonNesting)
	}
	name, prop, ok := strings.Cut(rest, ".")
	switch {
	case !ok && rest != "":
		return segment{}, syntaxError(reasonNoProperty)
	case name == "" || prop == "":
		return segment{}, syntaxError(reasonEmptyResourcePart)
	}
	return segment{kind: segResource, raw: ref, name: name, prop: prop}, nil
}

// parseEnvRef parses the "<var>[:-<default>]" part of an env reference; the default is
// parsed as text one level deeper.
func (t *Template) parseEnvRef(ref, rest string, depth int) (segment, error) {
	n := varNameLen(rest)
	name, tail := rest[:n], rest[n:]
	seg := segment{kind: segEnv, raw: ref, name: name}
	switch {
	case n > 0 && tail == "":
		return seg, nil
	case n > 0 && strings.HasPrefix(tail, ":-"):
		def, err := t.parseText(tail[2:], depth+1)
		if err != nil {
			return segment{}, err
		}
		seg.hasDefault, seg.defRaw, seg.def = true, tail[2:], def
		return seg, nil
	}
	spec, _, _ := strings.Cut(rest, ":-")
	if strings.Contains(spec, "${") {
		return segment{}, syntaxError(reasonNesting)
	}
	return segment{}, syntaxError(reasonBadVarName)
}

// varNameLen returns the length of the longest prefix of s matching
// [A-Za-z_][A-Za-z0-9_]*.
func varNameLen(s string) int {
	if s == "" || !(isLetter(s[0]) || s[0] == '_') {
		return 0
	}
	n := 1
	for n < len(s) && (isAlnum(s[n]) || s[n] == '_') {
		n++
	}
	return n
}

// Raw is the text the template was parsed from.
func (t *Template) Raw() string {
	if t == nil {
		return ""
	}
	return t.raw
}

// HasReferences reports whether the template contains env or resource references,
// that is whether resolution can produce anything but its literal value.
func (t *Template) HasReferences() bool { return t != nil && (t.hasEnv || t.hasResource) }

// ResourceRefs lists every resource reference, defaults included, in §22.1 order
// (left to right, a default's inner references before the reference containing them).
// Repeated references are all listed; callers that need a set drop duplicates.
func (t *Template) ResourceRefs() []ResourceRef {
	if t == nil || !t.hasResource {
		return nil
	}
	var out []ResourceRef
	walkSegments(t.segs, func(s *segment) {
		if s.kind == segResource {
			out = append(out, ResourceRef{Resource: s.name, Property: s.prop})
		}
	})
	return out
}

// SecretRefs lists the raw text of reserved ${secret.*} references (kept literally),
// left to right, defaults included.
func (t *Template) SecretRefs() []string {
	if t == nil {
		return nil
	}
	var out []string
	walkSegments(t.segs, func(s *segment) {
		if s.kind == segSecret {
			out = append(out, s.raw)
		}
	})
	return out
}

// walkSegments calls fn for every segment, descending into defaults at the position of
// the reference that holds them.
func walkSegments(segs []segment, fn func(*segment)) {
	for i := range segs {
		fn(&segs[i])
		if segs[i].hasDefault {
			walkSegments(segs[i].def, fn)
		}
	}
}

// EnvUses lists every env reference with whether it is reached under lookup, left to
// right, a reference before the references inside its default. A reference written in
// the field is always reached; one inside a default is reached when the reference that
// holds the default is reached and its variable is unset (empty counts as unset, §25).
// A nil lookup treats every variable as unset.
func (t *Template) EnvUses(lookup func(name string) (string, bool)) []EnvUse {
	if t == nil || !t.hasEnv {
		return nil
	}
	var out []EnvUse
	collectEnvUses(t.segs, true, lookup, &out)
	return out
}

// collectEnvUses appends the env references of segs; reached says whether evaluation
// gets to segs at all.
func collectEnvUses(segs []segment, reached bool, lookup func(string) (string, bool), out *[]EnvUse) {
	for i := range segs {
		s := &segs[i]
		if s.kind != segEnv {
			continue
		}
		*out = append(*out, EnvUse{
			EnvRef:  EnvRef{Name: s.name, HasDefault: s.hasDefault, Default: s.defRaw},
			Reached: reached,
		})
		if s.hasDefault {
			_, set := lookupSet(lookup, s.name)
			collectEnvUses(s.def, reached && !set, lookup, out)
		}
	}
}

// lookupSet looks name up; an empty value counts as unset (§21.5, §25).
func lookupSet(lookup func(string) (string, bool), name string) (string, bool) {
	if lookup == nil {
		return "", false
	}
	v, ok := lookup(name)
	return v, ok && v != ""
}

// Resolver supplies values during resolution. Env reports unset (including empty) as false.
type Resolver struct {
	Env      func(name string) (string, bool)
	Resource func(resource, property string) (string, bool)
}

// Resolve evaluates the template (§21.5). Missing lists, de-duplicated in order, the
// variables required but unset; when it is non-empty the value is not meaningful.
// Substituted values are inserted verbatim, never re-scanned. A resource reference the
// resolver does not know (nil Resource, or false) is kept as written; validation has
// rejected such references before any caller resolves.
func (t *Template) Resolve(r Resolver) (value string, missing []string) {
	if t == nil {
		return "", nil
	}
	if len(t.segs) == 0 || (len(t.segs) == 1 && t.segs[0].kind == segLiteral) {
		return t.raw, nil
	}
	var b strings.Builder
	b.Grow(len(t.raw))
	resolveSegments(&b, t.segs, r, &missing)
	return b.String(), missing
}

// resolveSegments writes the value of segs to b, recording unset required variables.
func resolveSegments(b *strings.Builder, segs []segment, r Resolver, missing *[]string) {
	for i := range segs {
		s := &segs[i]
		switch s.kind {
		case segLiteral, segSecret:
			b.WriteString(s.raw)
		case segEscape:
			writeEscapeValue(b, s.raw)
		case segResource:
			v, ok := "", false
			if r.Resource != nil {
				v, ok = r.Resource(s.name, s.prop)
			}
			if !ok {
				v = s.raw
			}
			b.WriteString(v)
		case segEnv:
			if v, ok := lookupSet(r.Env, s.name); ok {
				b.WriteString(v)
			} else if s.hasDefault {
				resolveSegments(b, s.def, r, missing)
			} else if !slices.Contains(*missing, s.name) {
				*missing = append(*missing, s.name)
			}
		}
	}
}

// writeEscapeValue writes the value of an escape: "${{x}}" is "${x}" (§21.5).
func writeEscapeValue(b *strings.Builder, raw string) {
	b.WriteString(raw[:2])
	b.WriteString(raw[3 : len(raw)-1])
}

// ResolveEnvOnly resolves ${env.*} references that can be resolved and keeps resource
// references and escapes as written (for `lsctl manifest`, docs/spec/runtime.md §16.9). ok is false
// when some env reference could not be resolved; the caller then keeps the original text.
// ok is also false when a substituted value would change how the printed text reads back
// (a value containing "${", or one that forms "${" with the text around it), because the
// printed manifest must mean what the original means; the returned value is then Raw().
func (t *Template) ResolveEnvOnly(env func(name string) (string, bool)) (value string, ok bool) {
	if t == nil || !t.hasEnv {
		return t.Raw(), true
	}
	var b strings.Builder
	var kept []string
	if !resolveEnvOnly(&b, t.segs, env, &kept) {
		return t.raw, false
	}
	out := b.String()
	if !readsBackAs(out, kept) {
		return t.raw, false
	}
	return out, true
}

// resolveEnvOnly writes segs with env references substituted and every other reference
// and escape kept as written, appending the kept raw texts to kept in order.
func resolveEnvOnly(b *strings.Builder, segs []segment, env func(string) (string, bool), kept *[]string) bool {
	for i := range segs {
		s := &segs[i]
		switch s.kind {
		case segLiteral:
			b.WriteString(s.raw)
		case segEscape, segSecret, segResource:
			b.WriteString(s.raw)
			*kept = append(*kept, s.raw)
		case segEnv:
			if v, ok := lookupSet(env, s.name); ok {
				b.WriteString(v)
			} else if !s.hasDefault || !resolveEnvOnly(b, s.def, env, kept) {
				return false
			}
		}
	}
	return true
}

// readsBackAs reports whether out parses into literals and exactly the kept references
// and escapes, in order: then substitution created no new reference and swallowed none.
func readsBackAs(out string, kept []string) bool {
	p, err := ParseTemplate(out)
	if err != nil {
		return false
	}
	n := 0
	for _, s := range p.segs {
		if s.kind == segLiteral {
			continue
		}
		if n >= len(kept) || s.raw != kept[n] {
			return false
		}
		n++
	}
	return n == len(kept)
}
