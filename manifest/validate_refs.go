package manifest

import (
	"errors"
	"strings"
)

// references runs phase 4 on one resource: dependency names, interpolation syntax and
// resource references. Cycles and merged dependencies are the plan's (§22).
func (v *validator) references(r *Resource) {
	p := base(r)
	for i, dep := range r.DependsOn {
		v.target(r, indexPath(joinPath(p, "depends_on"), i), dep.Pos, dep.Value, "", true)
	}
	for _, f := range r.Interpolated() {
		if !strings.Contains(f.Text, "${") {
			continue
		}
		t, err := ParseTemplate(f.Text)
		if err != nil {
			v.templateError(r, f, err)
			continue
		}
		seen := map[ResourceRef]bool{}
		for _, ref := range t.ResourceRefs() {
			if !seen[ref] {
				seen[ref] = true
				v.target(r, f.Path, f.Pos, ref.Resource, ref.Property, false)
			}
		}
		for _, raw := range t.SecretRefs() {
			v.warnf("reserved-scheme", f.Path, r.Name, f.Pos,
				"%s is reserved for a future format version: the reference is ignored, the value keeps it as literal text and the stack runs without that secret",
				quote(raw))
		}
	}
}

// templateError reports an interpolation syntax error. A secret field's text is never
// quoted.
func (v *validator) templateError(r *Resource, f Field, err error) {
	code, why := "invalid-interpolation", err.Error()
	var te *TemplateError
	if errors.As(err, &te) {
		code, why = te.Code, te.Reason
	}
	if code == "interpolation-too-deep" {
		if f.Secret {
			v.errorf(code, f.Path, r.Name, f.Pos, "interpolation nested deeper than 10 levels")
			return
		}
		v.errorf(code, f.Path, r.Name, f.Pos, "interpolation nested deeper than 10 levels in %s", quote(f.Text))
		return
	}
	if f.Secret { // reasons never quote the text (interpolate.go), so they may be shown
		v.errorf(code, f.Path, r.Name, f.Pos, "invalid interpolation: %s", why)
		return
	}
	v.errorf(code, f.Path, r.Name, f.Pos, "invalid interpolation in %s: %s", quote(f.Text), why)
}

// target checks one dependency (depends_on entry when explicit, or a resource reference
// with its property) against the declared resources (§21.3, §22.2).
func (v *validator) target(r *Resource, path string, at Pos, name, prop string, explicit bool) {
	if kind, ok := v.reserved[name]; ok {
		v.errorf("reserved-kind-dependency", path, r.Name, at,
			"resource %s has reserved kind %s, which lsctl does not run", quote(name), quote(kind))
		return
	}
	if name == r.Name {
		if explicit {
			v.errorf("self-dependency", path, r.Name, at, "resource %s cannot depend on itself", quote(name))
		} else {
			v.errorf("self-reference", path, r.Name, at, "resource %s cannot reference its own properties", quote(name))
		}
		return
	}
	dep := v.byName[name]
	if dep == nil {
		if !v.broken[name] {
			v.unknownTarget(r, path, at, name, prop, explicit)
		}
		return
	}
	if !explicit && !contains(Properties(dep.Kind), prop) {
		v.errorf("unknown-property", path, r.Name, at, "resource %s (%s) has no property %s; available: %s",
			quote(name), dep.Kind, quote(prop), strings.Join(Properties(dep.Kind), ", "))
	}
}

func (v *validator) unknownTarget(r *Resource, path string, at Pos, name, prop string, explicit bool) {
	hint := ""
	if s := v.suggestResource(r, name); s != "" {
		hint = " (did you mean " + quote(s) + "?)"
	}
	if explicit {
		v.errorf("unknown-dependency", path, r.Name, at, "unknown resource %s%s", quote(name), hint)
		return
	}
	v.errorf("unknown-resource-reference", path, r.Name, at, "${resources.%s.%s} refers to unknown resource %s%s",
		Clip(name), Clip(prop), quote(name), hint)
}

// maxSuggestions bounds the "did you mean" searches over resource names, so a huge
// hostile manifest cannot make validation quadratic; real manifests never reach it.
const maxSuggestions = 100

// suggestResource returns the resource name closest to name (§27.3), excluding r.
func (v *validator) suggestResource(r *Resource, name string) string {
	if v.suggestions >= maxSuggestions || len(v.m.Resources) > maxResources {
		return ""
	}
	v.suggestions++
	names := make([]string, 0, len(v.m.Resources))
	for _, o := range v.m.Resources {
		if o.Name != r.Name {
			names = append(names, o.Name)
		}
	}
	return Suggest(name, names)
}
