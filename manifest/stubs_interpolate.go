package manifest

// STUBS: replaced by interpolate.go (the grammar helper). Contract for §21.

// TemplateError is a syntax error in an interpolated string. Code is
// "invalid-interpolation" or "interpolation-too-deep".
type TemplateError struct {
	Code   string
	Reason string
}

func (e *TemplateError) Error() string { return e.Reason }

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

// Template is a parsed interpolated string.
type Template struct{ raw string }

// ParseTemplate parses s per §21.2-21.4 (syntax only; names are not checked here).
func ParseTemplate(s string) (*Template, error) { return &Template{raw: s}, nil }

// Raw is the text the template was parsed from.
func (t *Template) Raw() string { return t.raw }

// ResourceRefs lists every resource reference, defaults included, in §22.1 order
// (left to right, a default's inner references before the reference containing them).
func (t *Template) ResourceRefs() []ResourceRef { return nil }

// SecretRefs lists the raw text of reserved ${secret.*} references (kept literally).
func (t *Template) SecretRefs() []string { return nil }

// EnvUses lists every env reference with whether it is reached under lookup.
func (t *Template) EnvUses(lookup func(name string) (string, bool)) []EnvUse { return nil }

// Resolver supplies values during resolution. Env reports unset (including empty) as false.
type Resolver struct {
	Env      func(name string) (string, bool)
	Resource func(resource, property string) (string, bool)
}

// Resolve evaluates the template. Missing lists, de-duplicated in order, the variables
// required but unset; when it is non-empty the value is not meaningful.
func (t *Template) Resolve(r Resolver) (value string, missing []string) { return t.raw, nil }

// ResolveEnvOnly resolves ${env.*} references that can be resolved and keeps resource
// references and escapes as written (for `lsctl manifest`, runtime.md §16.9). ok is false
// when some env reference could not be resolved; the caller then keeps the original text.
func (t *Template) ResolveEnvOnly(env func(name string) (string, bool)) (value string, ok bool) {
	return t.raw, true
}
