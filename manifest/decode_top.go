package manifest

import (
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// namePattern is the grammar of project and resource names (§4, §6.2).
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

var topLevelFields = []string{"lightshuttle", "project", "resources", "dashboard", "observability", "export"}

// top decodes the root mapping (phase 2). It returns false when the manifest cannot be
// used at all: the root is not a mapping. readable is false when the project or the
// resources section is missing or not a mapping.
func (d *decoder) top(m *Manifest, root node) (ok, readable bool) {
	entries, ok := d.mapping(root, "", "")
	if !ok {
		return false, false
	}
	var resources, export *entry
	seenProject := false
	for i := range entries {
		e := &entries[i]
		switch {
		case e.key == "lightshuttle":
			d.version(m, *e)
		case e.key == "project":
			seenProject = !isNull(e.val)
			d.project(m, *e)
		case e.key == "resources":
			resources = e
		case e.key == "dashboard":
			d.dashboard(m, *e)
		case e.key == "observability":
			d.observability(m, *e)
		case e.key == "export":
			export = e
		case e.key == "hooks":
			d.warnf("reserved-key", "hooks", "", e.keyPos, "reserved for a future format version: lsctl runs no hooks, the field is ignored and the stack runs without it")
		case strings.HasPrefix(e.key, "x-"):
		default:
			d.unknownField(*e, "", "", topLevelFields)
		}
	}
	readable = !m.Project.Pos.IsZero()
	if !seenProject {
		d.errorf("missing-field", "", "", root.pos(), "missing required field %q", "project")
	}
	if resources == nil || isNull(resources.val) {
		d.errorf("missing-field", "", "", root.pos(), "missing required field %q", "resources")
		readable = false
	} else if !d.resources(m, *resources) {
		readable = false
	}
	if export != nil {
		d.export(m, *export)
	}
	return true, readable
}

// version checks the format discriminator (§3).
func (d *decoder) version(m *Manifest, e entry) {
	m.Version = d.str(e.val, "lightshuttle", "")
	if m.Version.Set && m.Version.Value != "v0" {
		d.errorf("unsupported-version", "lightshuttle", "", m.Version.Pos,
			"unsupported manifest version %s; lsctl reads format \"v0\"", quote(m.Version.Value))
	}
}

// project decodes the project section (§4).
func (d *decoder) project(m *Manifest, e entry) {
	entries, ok := d.mapping(e.val, "project", "")
	if !ok || isNull(e.val) {
		return
	}
	m.Project.Pos = e.val.pos()
	for _, f := range entries {
		p := joinPath("project", f.key)
		switch f.key {
		case "name":
			m.Project.Name = d.str(f.val, p, "")
		case "version":
			m.Project.Version = d.str(f.val, p, "")
		case "description":
			m.Project.Description = d.str(f.val, p, "")
		default:
			d.unknownField(f, "project", "", []string{"name", "version", "description"})
		}
	}
	n := m.Project.Name
	switch {
	case isNull(keyValue(entries, "name")):
		d.errorf("missing-field", "project", "", m.Project.Pos, "missing required field %q", "name")
	case n.Set && !namePattern.MatchString(n.Value):
		d.errorf("invalid-project-name", "project.name", "", n.Pos,
			"invalid name %s: must match ^[a-z][a-z0-9_-]{0,31}$", quote(n.Value))
	}
}

func keyValue(entries []entry, key string) node {
	for _, e := range entries {
		if e.key == key {
			return e.val
		}
	}
	return node{}
}

// dashboard decodes the dashboard section (§5.1).
func (d *decoder) dashboard(m *Manifest, e entry) {
	entries, ok := d.mapping(e.val, "dashboard", "")
	if !ok || isNull(e.val) {
		return
	}
	m.Dashboard = &Dashboard{}
	for _, f := range entries {
		if f.key != "port" {
			d.unknownField(f, "dashboard", "", []string{"port"})
			continue
		}
		m.Dashboard.Port = d.integer(f.val, "dashboard.port", "")
		if p := m.Dashboard.Port; p.Set && (p.Value < 1 || p.Value > 65535) {
			d.errorf("invalid-dashboard-port", "dashboard.port", "", p.Pos, "%s is outside 1-65535", intText(f.val))
		}
	}
}

// intText is the source text of an integer node (saturated values print as written).
func intText(n node) string {
	if n.y != nil && n.y.Kind == yaml.ScalarNode {
		return n.y.Value
	}
	return ""
}
