package manifest

import (
	"fmt"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// node is a YAML node as the decoder reached it. at is the position of the alias through
// which it was reached (zero when it was reached directly): §1.3 reports diagnostics about
// aliased content at the alias, where the author can see it.
type node struct {
	y  *yaml.Node
	at Pos
}

// reach follows alias chains from y, remembering the first alias position.
func reach(y *yaml.Node, at Pos) node {
	for guard := 0; y != nil && y.Kind == yaml.AliasNode && guard < 1000; guard++ {
		if at.IsZero() {
			at = Pos{y.Line, y.Column}
		}
		y = y.Alias
	}
	return node{y: y, at: at}
}

// pos is where diagnostics about n are reported.
func (n node) pos() Pos {
	if !n.at.IsZero() || n.y == nil {
		return n.at
	}
	return Pos{n.y.Line, n.y.Column}
}

// child reaches a child node of n, inheriting n's alias position.
func (n node) child(y *yaml.Node) node { return reach(y, n.at) }

var (
	floatPattern = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$`)
)

// yamlType names the YAML 1.2 core type of n, decided from the source text and style
// rather than from yaml.v3's resolver (which, for example, reads 0x10 as an integer).
func yamlType(n node) string {
	y := n.y
	if y == nil {
		return "null"
	}
	switch y.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.DocumentNode:
		return "document"
	}
	if y.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return "string"
	}
	if y.Style&yaml.TaggedStyle != 0 && y.Tag == "!!str" {
		return "string"
	}
	switch v := y.Value; {
	case v == "" || v == "~" || v == "null" || v == "Null" || v == "NULL":
		return "null"
	case v == "true" || v == "false":
		return "boolean"
	case isDecimalInt(v):
		return "integer"
	case couldBeFloat(v) && floatPattern.MatchString(v):
		return "float"
	}
	return "string"
}

// isDecimalInt reports whether v is a YAML 1.2 core integer: optional sign, decimal digits.
func isDecimalInt(v string) bool {
	if v != "" && (v[0] == '+' || v[0] == '-') {
		v = v[1:]
	}
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// couldBeFloat is a cheap pre-check before the float pattern: floats start with a sign,
// a digit or a dot.
func couldBeFloat(v string) bool {
	return v != "" && (v[0] == '+' || v[0] == '-' || v[0] == '.' || v[0] >= '0' && v[0] <= '9')
}

// isNull reports whether n is absent or a YAML null (§1.3: a null field counts as absent).
func isNull(n node) bool { return n.y == nil || yamlType(n) == "null" }

// entry is one key of a mapping after merge keys were applied.
type entry struct {
	key    string
	keyPos Pos
	val    node
}

// decoder accumulates diagnostics while it turns YAML nodes into the model.
type decoder struct {
	file   string
	diags  Diagnostics
	broken map[string]bool // resources whose entry failed to decode (see markBroken)
	// badTest marks healthchecks whose test list failed to decode, so the form check
	// does not report the same mistake again.
	badTest map[*Healthcheck]bool
}

// report appends a diagnostic; path prefixes the message when it is not empty.
func (d *decoder) report(sev Severity, code, path, res string, at Pos, format string, args ...any) {
	dg := NewDiagnostic(sev, code, path, res, fmt.Sprintf(format, args...))
	dg.File, dg.Pos = d.file, at
	d.diags = append(d.diags, dg)
}

func (d *decoder) errorf(code, path, res string, at Pos, format string, args ...any) {
	d.report(SeverityError, code, path, res, at, format, args...)
}

func (d *decoder) warnf(code, path, res string, at Pos, format string, args ...any) {
	d.report(SeverityWarning, code, path, res, at, format, args...)
}

// mismatch reports type-mismatch for n at path.
func (d *decoder) mismatch(n node, path, res, want string) {
	d.errorf("type-mismatch", path, res, n.pos(), "expected %s, found %s", want, yamlType(n))
}

// mapping returns the entries of n in document order. A null n yields (nil, true); a
// non-mapping is type-mismatch and yields (nil, false). Explicit keys win over merged
// ones (§1.3); of a repeated key only the first value counts (duplicateKeys reports it).
func (d *decoder) mapping(n node, path, res string) ([]entry, bool) {
	if isNull(n) {
		return nil, true
	}
	if n.y.Kind != yaml.MappingNode {
		d.mismatch(n, path, res, "mapping")
		return nil, false
	}
	return d.entries(n, path, res), true
}

func (d *decoder) entries(n node, path, res string) []entry {
	explicit := map[string]bool{}
	c := n.y.Content
	for i := 0; i+1 < len(c); i += 2 {
		if k := n.child(c[i]); !isMergeKey(k.y) && k.y != nil && k.y.Kind == yaml.ScalarNode {
			explicit[k.y.Value] = true
		}
	}
	var out []entry
	seen := map[string]bool{}
	for i := 0; i+1 < len(c); i += 2 {
		k := n.child(c[i])
		if isMergeKey(k.y) {
			out = d.merge(out, n.child(c[i+1]), explicit, seen, path, res)
			continue
		}
		key, ok := d.keyText(k, path, res)
		if !ok || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, entry{key: key, keyPos: k.pos(), val: n.child(c[i+1])})
	}
	return out
}

// merge appends the entries a `<<` value contributes: keys neither written explicitly
// nor contributed by an earlier merge.
func (d *decoder) merge(out []entry, v node, explicit, seen map[string]bool, path, res string) []entry {
	var sources []node
	switch {
	case v.y != nil && v.y.Kind == yaml.MappingNode:
		sources = []node{v}
	case v.y != nil && v.y.Kind == yaml.SequenceNode:
		for _, s := range v.y.Content {
			sources = append(sources, v.child(s))
		}
	default:
		d.mismatch(v, joinPath(path, "<<"), res, "mapping or sequence of mappings")
		return out
	}
	for _, s := range sources {
		if s.y == nil || s.y.Kind != yaml.MappingNode {
			d.mismatch(s, joinPath(path, "<<"), res, "mapping")
			continue
		}
		for _, e := range d.entries(s, path, res) {
			if explicit[e.key] || seen[e.key] {
				continue
			}
			seen[e.key] = true
			out = append(out, e)
		}
	}
	return out
}

// duplicateKeys reports every mapping key written twice anywhere in the document
// (§1.3), x-* extensions included, once per written mapping (aliases are not followed,
// so a duplicate inside an anchor is reported once, where it is written).
func (d *decoder) duplicateKeys(y *yaml.Node, path, res string) {
	if y == nil {
		return
	}
	switch y.Kind {
	case yaml.SequenceNode:
		for i, c := range y.Content {
			d.duplicateKeys(c, indexPath(path, i), res)
		}
	case yaml.MappingNode:
		first := map[string]int{}
		for i := 0; i+1 < len(y.Content); i += 2 {
			k := y.Content[i]
			if k.Kind != yaml.ScalarNode || isMergeKey(k) {
				d.duplicateKeys(y.Content[i+1], path, res)
				continue
			}
			p, r := joinPath(path, k.Value), res
			if path == "resources" {
				r = k.Value
			}
			if line, dup := first[k.Value]; dup {
				d.errorf("duplicate-key", p, r, Pos{k.Line, k.Column},
					"key %s is defined twice (first at line %d)", quote(k.Value), line)
				continue
			}
			first[k.Value] = k.Line
			d.duplicateKeys(y.Content[i+1], p, r)
		}
	}
}

func isMergeKey(y *yaml.Node) bool {
	return y != nil && y.Kind == yaml.ScalarNode && y.Value == "<<" &&
		y.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) == 0
}

// keyText returns a mapping key as text; keys must be scalars.
func (d *decoder) keyText(k node, path, res string) (string, bool) {
	if k.y == nil || k.y.Kind != yaml.ScalarNode {
		d.errorf("type-mismatch", path, res, k.pos(), "expected a string key, found %s", yamlType(k))
		return "", false
	}
	return k.y.Value, true
}

// scalarText returns the source text of a non-null scalar (§1.3 scalar coercion).
func scalarText(n node) (string, bool) {
	if n.y == nil || n.y.Kind != yaml.ScalarNode || isNull(n) {
		return "", false
	}
	return n.y.Value, true
}

// str decodes a string field: any non-null scalar, taken as its source text.
func (d *decoder) str(n node, path, res string) Str {
	if isNull(n) {
		return Str{}
	}
	s, ok := scalarText(n)
	if !ok {
		d.mismatch(n, path, res, "string")
		return Str{}
	}
	return Str{Value: s, Pos: n.pos(), Set: true}
}

// integer decodes an integer field: only a YAML 1.2 core integer. A value too large for
// int64 saturates, so range checks downstream reject it instead of silently wrapping.
func (d *decoder) integer(n node, path, res string) Int {
	if isNull(n) {
		return Int{}
	}
	if yamlType(n) != "integer" {
		d.mismatch(n, path, res, "integer")
		return Int{}
	}
	return Int{Value: parseInt(n.y.Value), Pos: n.pos(), Set: true}
}

// parseInt parses a decimal integer with optional sign, saturating on overflow.
func parseInt(s string) int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if len(s) > 0 && s[0] == '-' {
			return -1 << 63
		}
		return 1<<63 - 1
	}
	return v
}

// boolean decodes a boolean field: only `true` or `false`.
func (d *decoder) boolean(n node, path, res string) Bool {
	if isNull(n) {
		return Bool{}
	}
	if yamlType(n) != "boolean" {
		d.mismatch(n, path, res, "boolean (true or false)")
		return Bool{}
	}
	return Bool{Value: n.y.Value == "true", Pos: n.pos(), Set: true}
}

// strList decodes a list of strings; ok is false when n is not a sequence.
func (d *decoder) strList(n node, path, res string) (items []Str, ok bool) {
	if n.y == nil || n.y.Kind != yaml.SequenceNode {
		d.mismatch(n, path, res, "list of strings")
		return nil, false
	}
	ok = true
	for i, c := range n.y.Content {
		el := n.child(c)
		p := indexPath(path, i)
		s, isScalar := scalarText(el)
		if !isScalar {
			d.mismatch(el, p, res, "string")
			ok = false
			continue
		}
		items = append(items, Str{Value: s, Pos: el.pos(), Set: true})
	}
	return items, ok
}

// strMap decodes a user-keyed string map (env, secrets, build_args). Its entries are not
// fields, so a null value is type-mismatch (§1.3).
func (d *decoder) strMap(n node, path, res string) []KV {
	entries, ok := d.mapping(n, path, res)
	if !ok {
		return nil
	}
	out := make([]KV, 0, len(entries))
	for _, e := range entries {
		p := joinPath(path, e.key)
		s, isScalar := scalarText(e.val)
		if !isScalar {
			d.mismatch(e.val, p, res, "string")
			continue
		}
		out = append(out, KV{Key: e.key, KeyPos: e.keyPos, Value: Str{Value: s, Pos: e.val.pos(), Set: true}})
	}
	return out
}

// unknownField warns about a key that is not a field at this position (§27.3 suggestion).
func (d *decoder) unknownField(e entry, path, res string, known []string) {
	p := joinPath(path, e.key)
	if s := Suggest(e.key, known); s != "" {
		d.warnf("unknown-field", p, res, e.keyPos, "unknown field %s is ignored (did you mean %s?)", quote(e.key), quote(s))
		return
	}
	d.warnf("unknown-field", p, res, e.keyPos, "unknown field %s is ignored", quote(e.key))
}
