package manifest

import (
	"gopkg.in/yaml.v3"
)

// Fields shared by every kind (§7) and the fields of each kind's configuration.
var (
	sharedFields  = []string{"depends_on", "healthcheck", "restart"}
	containerKeys = []string{"ports", "env", "secrets", "volumes", "entrypoint", "command", "working_dir"}
	kindFields    = map[Kind][]string{
		KindPostgres:   append([]string{"version", "image", "database", "user", "password", "port", "volume"}, sharedFields...),
		KindRedis:      append([]string{"version", "image", "password", "port", "volume"}, sharedFields...),
		KindContainer:  append(append([]string{"image"}, containerKeys...), sharedFields...),
		KindDockerfile: append(append([]string{"context", "dockerfile", "build_args", "target"}, containerKeys...), sharedFields...),
	}
	healthcheckFields = []string{"test", "http", "tcp", "interval", "timeout", "retries", "start_period", "start_interval"}
	httpCheckFields   = []string{"port", "path", "status"}
)

// kindConfig decodes the configuration mapping of a resource of a known kind.
func (d *decoder) kindConfig(r *Resource, k entry, base string) {
	switch r.Kind {
	case KindPostgres:
		r.Postgres = &Postgres{Volume: Volume{Enabled: true}}
	case KindRedis:
		r.Redis = &Redis{Volume: Volume{Enabled: true}}
	case KindContainer:
		r.Container = &Container{}
	case KindDockerfile:
		r.Container, r.Build = &Container{}, &Build{}
	}
	entries, _ := d.mapping(k.val, base, r.Name)
	for _, f := range entries {
		if !d.field(r, f, joinPath(base, f.key)) {
			d.unknownField(f, base, r.Name, kindFields[r.Kind])
		}
	}
	required := map[Kind]string{KindContainer: "image", KindDockerfile: "context"}[r.Kind]
	if required != "" && isNull(keyValue(entries, required)) {
		d.errorf("missing-field", base, r.Name, r.ConfigPos, "missing required field %q", required)
	}
	if !r.Restart.Set {
		r.Restart = Str{Value: "no"}
	}
}

// field decodes one configuration key; it returns false for a key the kind does not have.
func (d *decoder) field(r *Resource, f entry, p string) bool {
	if !contains(kindFields[r.Kind], f.key) {
		return false
	}
	switch f.key {
	case "depends_on":
		d.dependsOn(r, f.val, p)
	case "restart":
		r.Restart = d.str(f.val, p, r.Name)
	case "healthcheck":
		r.Healthcheck = d.healthcheck(r, f.val, p)
	default:
		switch {
		case r.Postgres != nil:
			d.postgresField(r, f, p)
		case r.Redis != nil:
			d.redisField(r, f, p)
		default:
			d.containerField(r, f, p)
		}
	}
	return true
}

func (d *decoder) postgresField(r *Resource, f entry, p string) {
	pg := r.Postgres
	switch f.key {
	case "version":
		pg.Version = d.str(f.val, p, r.Name)
	case "image":
		pg.Image = d.str(f.val, p, r.Name)
	case "database":
		pg.Database = d.str(f.val, p, r.Name)
	case "user":
		pg.User = d.str(f.val, p, r.Name)
	case "password":
		pg.Password = d.str(f.val, p, r.Name)
	case "port":
		pg.Port = d.integer(f.val, p, r.Name)
	case "volume":
		pg.Volume = d.volume(f.val, p, r.Name)
	}
}

func (d *decoder) redisField(r *Resource, f entry, p string) {
	rd := r.Redis
	switch f.key {
	case "version":
		rd.Version = d.str(f.val, p, r.Name)
	case "image":
		rd.Image = d.str(f.val, p, r.Name)
	case "password":
		rd.Password = d.str(f.val, p, r.Name)
	case "port":
		rd.Port = d.integer(f.val, p, r.Name)
	case "volume":
		rd.Volume = d.volume(f.val, p, r.Name)
	}
}

func (d *decoder) containerField(r *Resource, f entry, p string) {
	c, b := r.Container, r.Build
	switch f.key {
	case "image":
		c.Image = d.str(f.val, p, r.Name)
	case "ports":
		c.Ports = d.ports(f.val, p, r.Name)
	case "env":
		c.Env = d.strMap(f.val, p, r.Name)
	case "secrets":
		c.Secrets = d.strMap(f.val, p, r.Name)
	case "volumes":
		if !isNull(f.val) {
			c.Volumes, _ = d.strList(f.val, p, r.Name)
		}
	case "entrypoint":
		c.Entrypoint = d.argv(f.val, p, r.Name)
	case "command":
		c.Command = d.argv(f.val, p, r.Name)
	case "working_dir":
		c.WorkingDir = d.str(f.val, p, r.Name)
	case "context":
		b.Context = d.str(f.val, p, r.Name)
	case "dockerfile":
		b.Dockerfile = d.str(f.val, p, r.Name)
	case "build_args":
		b.Args = d.strMap(f.val, p, r.Name)
	case "target":
		b.Target = d.str(f.val, p, r.Name)
	}
}

// dependsOn decodes depends_on, dropping duplicates silently (§7).
func (d *decoder) dependsOn(r *Resource, n node, p string) {
	if isNull(n) {
		return
	}
	items, _ := d.strList(n, p, r.Name)
	seen := map[string]bool{}
	for _, s := range items {
		if !seen[s.Value] {
			seen[s.Value] = true
			r.DependsOn = append(r.DependsOn, s)
		}
	}
}

// volume decodes the postgres/redis volume field: a boolean or a volume name.
func (d *decoder) volume(n node, p, res string) Volume {
	switch t := yamlType(n); {
	case t == "null":
		return Volume{Enabled: true}
	case t == "boolean":
		return Volume{Enabled: n.y.Value == "true", Pos: n.pos(), Set: true}
	case n.y.Kind == yaml.ScalarNode:
		return Volume{Enabled: true, Name: n.y.Value, Named: true, Pos: n.pos(), Set: true}
	default:
		d.mismatch(n, p, res, "boolean or volume name")
		return Volume{Enabled: true}
	}
}

// ports decodes the ports list: integers or strings (§14).
func (d *decoder) ports(n node, p, res string) []Port {
	if isNull(n) {
		return nil
	}
	if n.y.Kind != yaml.SequenceNode {
		d.mismatch(n, p, res, "list of ports")
		return nil
	}
	var out []Port
	for i, c := range n.y.Content {
		el := n.child(c)
		switch yamlType(el) {
		case "integer":
			out = append(out, Port{Text: el.y.Value, IsInt: true, Pos: el.pos()})
		case "string":
			out = append(out, Port{Text: el.y.Value, Pos: el.pos()})
		default:
			d.mismatch(el, indexPath(p, i), res, "integer or string")
		}
	}
	return out
}

// argv decodes entrypoint or command: a string (run by sh -c) or a list of strings.
func (d *decoder) argv(n node, p, res string) *Argv {
	if isNull(n) {
		return nil
	}
	if n.y.Kind == yaml.SequenceNode {
		items, ok := d.strList(n, p, res)
		if !ok {
			return nil
		}
		return &Argv{Items: items, Pos: n.pos()}
	}
	s := d.str(n, p, res)
	if !s.Set {
		return nil
	}
	return &Argv{Shell: true, Items: []Str{s}, Pos: n.pos()}
}

// healthcheck decodes a healthcheck mapping (§16); a null one is absent.
func (d *decoder) healthcheck(r *Resource, n node, p string) *Healthcheck {
	entries, ok := d.mapping(n, p, r.Name)
	if !ok || isNull(n) {
		return nil
	}
	h := &Healthcheck{Pos: n.pos()}
	for _, f := range entries {
		fp := joinPath(p, f.key)
		switch f.key {
		case "test":
			d.healthTest(h, f.val, fp, r.Name)
		case "interval":
			h.Interval = d.str(f.val, fp, r.Name)
		case "timeout":
			h.Timeout = d.str(f.val, fp, r.Name)
		case "start_period":
			h.StartPeriod = d.str(f.val, fp, r.Name)
		case "start_interval":
			h.StartInterval = d.str(f.val, fp, r.Name)
		case "retries":
			h.Retries = d.integer(f.val, fp, r.Name)
		case "http":
			h.HTTP = d.httpCheck(f.val, fp, r.Name)
		case "tcp":
			h.TCP = d.integer(f.val, fp, r.Name)
		default:
			d.unknownField(f, p, r.Name, healthcheckFields)
		}
	}
	needsTest := r.Kind == KindContainer || r.Kind == KindDockerfile
	if needsTest && isNull(keyValue(entries, "test")) && isNull(keyValue(entries, "http")) && isNull(keyValue(entries, "tcp")) {
		d.errorf("missing-field", p, r.Name, h.Pos, "missing required field %q (or one of the native forms http, tcp)", "test")
	}
	return h
}

// httpCheck decodes the `http` form of a healthcheck (§16.1); a null one is absent.
func (d *decoder) httpCheck(n node, p, res string) *HTTPCheck {
	entries, ok := d.mapping(n, p, res)
	if !ok || isNull(n) {
		return nil
	}
	c := &HTTPCheck{Pos: n.pos()}
	for _, f := range entries {
		fp := joinPath(p, f.key)
		switch f.key {
		case "port":
			c.Port = d.integer(f.val, fp, res)
		case "path":
			c.Path = d.str(f.val, fp, res)
		case "status":
			c.Status = d.integer(f.val, fp, res)
		default:
			d.unknownField(f, p, res, httpCheckFields)
		}
	}
	return c
}

func (d *decoder) healthTest(h *Healthcheck, n node, p, res string) {
	if isNull(n) {
		return
	}
	items, ok := d.strList(n, p, res)
	h.Test, h.TestSet, h.TestPos = items, true, n.pos()
	if !ok {
		if d.badTest == nil {
			d.badTest = map[*Healthcheck]bool{}
		}
		d.badTest[h] = true
	}
}
