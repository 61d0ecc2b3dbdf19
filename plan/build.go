package plan

import (
	"path/filepath"
	"sort"
	"strings"

	"github.com/lightshuttle/lsctl/manifest"
)

// builder holds the state of one Build.
type builder struct {
	m        *manifest.Manifest
	o        Options
	dataRoot string
	res      map[string]*resource
	order    []*resource // declaration order
	nodes    map[string]*Node
	missing  map[string]bool
	diags    manifest.Diagnostics
}

// Build turns a validated manifest into a Plan (docs/spec/runtime.md §2 steps 3-7 except the
// subnet): merged dependencies and topological order, resolution of every interpolated
// field in that order, outputs, LSH_* injection, container specifications and host
// offsets. It reports dependency cycles, the phase-5 re-checks of resolved values,
// lsh-collision warnings and, with RequireEnv, missing-env. The plan is nil when any
// error is reported.
func Build(m *manifest.Manifest, o Options) (*Plan, manifest.Diagnostics) {
	if m == nil {
		return nil, manifest.Diagnostics{{Code: "empty-manifest", Severity: manifest.SeverityError,
			Message: "no manifest to plan: decoding failed or was skipped"}}
	}
	b := &builder{m: m, o: o, dataRoot: o.DataRoot, res: map[string]*resource{},
		nodes: map[string]*Node{}, missing: map[string]bool{}}
	if b.dataRoot == "" {
		b.dataRoot = DefaultDataRoot
	}
	names := make([]string, 0, len(m.Resources))
	for _, r := range m.Resources {
		rs := scanResource(r)
		rs.index = len(b.order)
		b.res[r.Name] = rs
		b.order = append(b.order, rs)
		names = append(names, r.Name)
	}
	deps := make(map[string][]string, len(names))
	for _, rs := range b.order {
		deps[rs.r.Name] = mergeDeps(rs, b.res)
	}
	order, acyclic := topoOrder(names, deps)
	if !acyclic {
		for _, c := range findCycles(names, deps) {
			rs := b.res[c.start]
			b.errorAt("dependency-cycle", rs, "resources."+c.start, rs.r.Pos, c.message)
		}
		b.diags.Sort()
		return nil, b.diags
	}
	offsets := assignOffsets(names, o.Offsets)
	for _, name := range order {
		b.buildNode(b.res[name], deps[name], offsets[name])
	}
	b.reportMissing()
	b.diags.Sort()
	if b.diags.HasErrors() {
		return nil, b.diags
	}
	return b.plan(names, order, offsets), b.diags
}

// plan assembles the result once every node is built.
func (b *builder) plan(names, order []string, offsets map[string]int) *Plan {
	project := b.m.Project.Name.Value
	p := &Plan{
		Project:      project,
		ManifestFile: b.m.File,
		ManifestDir:  b.m.Dir,
		Order:        order,
		Manifest:     b.m,
		byName:       b.nodes,
	}
	for _, name := range names {
		p.Nodes = append(p.Nodes, b.nodes[name])
	}
	p.Network = NetworkSpec{
		Project: project,
		Name:    NetworkName(project),
		Bridge:  BridgeName(NetworkName(project)),
		Offsets: offsets,
	}
	return p
}

// reportMissing emits the single missing-env error of docs/spec/manifest.md §25.
func (b *builder) reportMissing() {
	if !b.o.RequireEnv || len(b.missing) == 0 {
		return
	}
	names := make([]string, 0, len(b.missing))
	for n := range b.missing {
		names = append(names, n)
	}
	sort.Strings(names)
	dotenv := ""
	if b.o.Env != nil {
		dotenv = b.o.Env.DotenvPath()
	}
	if dotenv == "" {
		dotenv = filepath.Join(b.m.Dir, ".env")
	}
	b.diags = append(b.diags, manifest.Diagnostic{
		Code:     "missing-env",
		Severity: manifest.SeverityError,
		Message: "missing required environment variable(s): " + strings.Join(names, ", ") +
			" (set them in " + dotenv + ", in the environment, or pass --env-file)",
	})
}

// lookupEnv resolves ${env.N}; an empty value counts as unset (docs/spec/manifest.md §25).
func (b *builder) lookupEnv(name string) (string, bool) {
	if b.o.Env == nil {
		return "", false
	}
	v, ok := b.o.Env.Lookup(name)
	return v, ok && v != ""
}

// lookupOutput resolves ${resources.R.P} from a resource already built: dependencies
// come first in topological order.
func (b *builder) lookupOutput(resource, property string) (string, bool) {
	n := b.nodes[resource]
	if n == nil {
		return "", false
	}
	v, ok := n.Outputs[property]
	return v, ok
}

// resolve returns the resolved value of a set field. ok is false when the field could
// not be resolved fully (a required variable is unset, or the text did not parse), or
// when interpolation brought in a NUL byte (reported here, once: docs/spec/manifest.md §26.1
// phase 5); the value is then not re-checked.
func (b *builder) resolve(rs *resource, path string) (value string, ok bool) {
	f := rs.byPath[path]
	if f == nil {
		return "", false
	}
	if f.tmpl == nil {
		return f.raw, false
	}
	value, missing := f.tmpl.Resolve(manifest.Resolver{Env: b.lookupEnv, Resource: b.lookupOutput})
	for _, n := range missing {
		b.missing[n] = true
	}
	if manifest.HasNUL(value) && !manifest.HasNUL(f.raw) { // a NUL in the text itself is the validator's
		if !f.nulReported {
			f.nulReported = true
			b.errorAt("nul-in-value", rs, path, f.pos, manifest.NULMessage)
		}
		return value, false
	}
	return value, len(missing) == 0
}

// recheck reports whether a resolved field must have its grammar checked again
// (docs/spec/manifest.md §26.1 phase 5): it held references and resolved fully.
func (rs *resource) recheck(path string, ok bool) bool {
	f := rs.byPath[path]
	return ok && f != nil && f.refs
}

// errorAt records an error at a field; the message follows "<path>: <message>".
func (b *builder) errorAt(code string, rs *resource, path string, pos manifest.Pos, msg string) {
	b.diagAt(manifest.SeverityError, code, rs, path, pos, msg)
}

func (b *builder) diagAt(sev manifest.Severity, code string, rs *resource, path string, pos manifest.Pos, msg string) {
	d := manifest.NewDiagnostic(sev, code, path, rs.r.Name, msg)
	d.File, d.Pos = b.m.File, pos
	b.diags = append(b.diags, d)
}

// posOf is the location of a field, or of the resource key when the field is unset.
func (rs *resource) posOf(path string) manifest.Pos {
	if f := rs.byPath[path]; f != nil {
		return f.pos
	}
	return rs.r.Pos
}
