package manifest

import (
	"strconv"
	"strings"
)

// The kinds lsctl runs and the kinds reserved for a future format version (§6.3).
var (
	knownKinds    = []string{"postgres", "redis", "container", "dockerfile"}
	reservedKinds = []string{"mysql", "mariadb", "mongodb", "static", "process"}
	reservedNames = []string{"localhost", "ip6-localhost", "ip6-loopback"}
)

// resources decodes the resources section (§6); false when it is not a mapping.
func (d *decoder) resources(m *Manifest, e entry) bool {
	m.ResourcesPos = e.keyPos
	entries, ok := d.mapping(e.val, "resources", "")
	for _, r := range entries {
		d.resource(m, r)
	}
	return ok
}

// markBroken remembers a resource whose entry could not be decoded, so references to it
// are not reported a second time as unknown (one mistake, one error).
func (d *decoder) markBroken(name string) {
	if d.broken == nil {
		d.broken = map[string]bool{}
	}
	d.broken[name] = true
}

// resource decodes one entry of the resources section.
func (d *decoder) resource(m *Manifest, e entry) {
	name, path := e.key, joinPath("resources", e.key)
	d.resourceName(name, path, e.keyPos)
	if isNull(e.val) {
		d.markBroken(name)
		d.errorf("resource-kind-count", path, name, e.keyPos, "a resource entry needs exactly one kind key, found 0")
		return
	}
	entries, ok := d.mapping(e.val, path, name)
	if !ok {
		d.markBroken(name)
		return
	}
	if len(entries) != 1 {
		d.markBroken(name)
		d.kindCount(entries, path, name, e)
		return
	}
	k := entries[0]
	switch {
	case contains(reservedKinds, k.key):
		d.warnf("reserved-kind", path, name, k.keyPos,
			"kind %s is reserved for a future format version: resource %s is ignored and the stack runs without it",
			quote(k.key), quote(name))
		m.Reserved = append(m.Reserved, Reserved{Name: name, Kind: k.key, Pos: e.keyPos})
	case !contains(knownKinds, k.key):
		d.markBroken(name)
		hint := ""
		if s := Suggest(k.key, knownKinds); s != "" {
			hint = " (did you mean " + quote(s) + "?)"
		}
		d.errorf("unknown-kind", path, name, k.keyPos, "unknown resource kind %s%s; known kinds: %s",
			quote(k.key), hint, strings.Join(knownKinds, ", "))
	default:
		r := &Resource{Name: name, Pos: e.keyPos, Kind: Kind(k.key), KindPos: k.keyPos, ConfigPos: k.val.pos()}
		if isNull(k.val) {
			r.ConfigPos = k.keyPos
		}
		d.kindConfig(r, k, joinPath(path, k.key))
		m.Resources = append(m.Resources, r)
	}
}

// resourceName checks a resource name (§6.2).
func (d *decoder) resourceName(name, path string, at Pos) {
	switch {
	case !namePattern.MatchString(name):
		d.errorf("invalid-resource-name", path, name, at,
			"invalid resource name %s: must match ^[a-z][a-z0-9_-]{0,31}$", quote(name))
	case contains(reservedNames, name):
		d.errorf("reserved-resource-name", path, name, at,
			"the name %s is reserved (it must keep resolving to loopback)", quote(name))
	}
}

// kindCount reports an entry without exactly one kind key, suggesting to move fields that
// belong under the kind key.
func (d *decoder) kindCount(entries []entry, path, name string, e entry) {
	keys := make([]string, len(entries))
	var misplaced []string
	for i, k := range entries {
		keys[i] = quote(k.key)
		if !contains(knownKinds, k.key) && !contains(reservedKinds, k.key) && isConfigField(k.key) {
			misplaced = append(misplaced, quote(k.key))
		}
	}
	msg := "a resource entry needs exactly one kind key, found " + strconv.Itoa(len(entries))
	if len(keys) > 0 {
		msg += ": " + strings.Join(keys, ", ")
	}
	if len(misplaced) > 0 {
		msg += "; move " + strings.Join(misplaced, ", ") + " under the kind key"
	}
	d.errorf("resource-kind-count", path, name, e.keyPos, "%s", msg)
}

// isConfigField reports whether key is a field of some kind's configuration.
func isConfigField(key string) bool {
	for _, k := range knownKinds {
		if contains(kindFields[Kind(k)], key) {
			return true
		}
	}
	return false
}
