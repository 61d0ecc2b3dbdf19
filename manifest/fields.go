package manifest

import "strconv"

// isPlainKey reports whether a map key needs no quoting in a field path (§0): letters,
// digits, "_" and "-". Hand-written because paths are built for every field.
func isPlainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// FieldPath joins path components into a field path (§0): plain keys are joined with
// dots, unusual ones are quoted in brackets, e.g. resources.api.container.env["my.key"].
func FieldPath(parts ...string) string {
	p := ""
	for _, s := range parts {
		p = joinPath(p, s)
	}
	return p
}

// joinPath appends a map key to a field path.
func joinPath(base, key string) string {
	if !isPlainKey(key) {
		return base + "[" + strconv.Quote(key) + "]"
	}
	if base == "" {
		return key
	}
	return base + "." + key
}

// indexPath appends a list index to a field path.
func indexPath(base string, i int) string { return base + "[" + strconv.Itoa(i) + "]" }

// Field is one interpolated string field of a resource (§21.1).
type Field struct {
	Path   string
	Pos    Pos
	Text   string
	Secret bool // a password or a secrets value: never shown in output
}

// Interpolated returns the resource's interpolated fields that are set, in the scan order
// of §21.1, so that the validator, the plan and `secrets check` iterate one list.
func (r *Resource) Interpolated() []Field {
	base := FieldPath("resources", r.Name, string(r.Kind))
	var out []Field
	add := func(name string, s Str, secret bool) {
		if s.Set {
			out = append(out, Field{Path: joinPath(base, name), Pos: s.Pos, Text: s.Value, Secret: secret})
		}
	}
	switch {
	case r.Postgres != nil:
		p := r.Postgres
		add("version", p.Version, false)
		add("image", p.Image, false)
		add("database", p.Database, false)
		add("user", p.User, false)
		add("password", p.Password, true)
	case r.Redis != nil:
		add("version", r.Redis.Version, false)
		add("image", r.Redis.Image, false)
		add("password", r.Redis.Password, true)
	case r.Container != nil:
		out = append(out, r.containerFields(base)...)
	}
	if h := r.Healthcheck; h != nil {
		for i, s := range h.Test {
			out = append(out, Field{Path: indexPath(joinPath(joinPath(base, "healthcheck"), "test"), i), Pos: s.Pos, Text: s.Value})
		}
	}
	return out
}

// containerFields lists the interpolated fields of a container or dockerfile resource
// before its healthcheck.
func (r *Resource) containerFields(base string) []Field {
	var out []Field
	add := func(path string, s Str, secret bool) {
		if s.Set {
			out = append(out, Field{Path: path, Pos: s.Pos, Text: s.Value, Secret: secret})
		}
	}
	kvs := func(name string, kv []KV, secret bool) {
		for _, e := range kv {
			add(joinPath(joinPath(base, name), e.Key), e.Value, secret)
		}
	}
	if b := r.Build; b != nil {
		add(joinPath(base, "context"), b.Context, false)
		add(joinPath(base, "dockerfile"), b.Dockerfile, false)
		kvs("build_args", b.Args, false)
		add(joinPath(base, "target"), b.Target, false)
	}
	c := r.Container
	add(joinPath(base, "image"), c.Image, false)
	kvs("env", c.Env, false)
	kvs("secrets", c.Secrets, true)
	for i, v := range c.Volumes {
		add(indexPath(joinPath(base, "volumes"), i), v, false)
	}
	argv := func(name string, a *Argv) {
		if a == nil {
			return
		}
		if a.Shell {
			for _, s := range a.Items {
				add(joinPath(base, name), s, false)
			}
			return
		}
		for i, s := range a.Items {
			add(indexPath(joinPath(base, name), i), s, false)
		}
	}
	argv("entrypoint", c.Entrypoint)
	argv("command", c.Command)
	add(joinPath(base, "working_dir"), c.WorkingDir, false)
	return out
}
