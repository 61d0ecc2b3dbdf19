package plan

import (
	"strconv"

	"github.com/lightshuttle/lsctl/manifest"
)

// field is one interpolated string field of a resource (docs/spec/manifest.md §21.1).
type field struct {
	path string
	pos  manifest.Pos
	raw  string
	tmpl *manifest.Template // nil when the text does not parse (validation reported it)
	refs bool               // contains ${env.*} or ${resources.*}: re-checked after resolution
	// nulReported: interpolation brought in a NUL byte and nul-in-value was reported.
	nulReported bool
}

// resource is the plan's working copy of one manifest resource.
type resource struct {
	r      *manifest.Resource
	index  int      // declaration index
	base   string   // field path of the kind configuration: resources.<name>.<kind>
	fields []*field // §21.1 scan order
	byPath map[string]*field
}

// plainKey reports whether a map key appears in a field path without quoting
// ([A-Za-z0-9_-]+). A loop, not a regexp: it runs for every env entry of every build.
func plainKey(key string) bool {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return key != ""
}

// keyPath appends a user map key to a field path, quoting unusual keys
// (resources.api.container.env["my.key"], docs/spec/manifest.md §0), as manifest.FieldPath does.
func keyPath(parent, key string) string {
	if plainKey(key) {
		return parent + "." + key
	}
	return parent + "[" + strconv.Quote(key) + "]"
}

func indexPath(parent string, i int) string { return parent + "[" + strconv.Itoa(i) + "]" }

// scanResource parses a resource's interpolated fields once, in the scan order of
// docs/spec/manifest.md §21.1 (the list manifest.Resource.Interpolated defines for every stage).
func scanResource(r *manifest.Resource) *resource {
	rs := &resource{r: r, base: "resources." + r.Name + "." + string(r.Kind), byPath: map[string]*field{}}
	for _, mf := range r.Interpolated() {
		f := &field{path: mf.Path, pos: mf.Pos, raw: mf.Text}
		if t, err := manifest.ParseTemplate(mf.Text); err == nil {
			f.tmpl = t
			f.refs = t.HasReferences()
		}
		rs.fields = append(rs.fields, f)
		rs.byPath[f.path] = f
	}
	return rs
}

// refs lists the resources named by ${resources.*} references in scan order (§22.1).
func (rs *resource) refs() []string {
	var out []string
	for _, f := range rs.fields {
		if f.tmpl == nil {
			continue
		}
		for _, ref := range f.tmpl.ResourceRefs() {
			out = append(out, ref.Resource)
		}
	}
	return out
}
