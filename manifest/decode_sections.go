package manifest

import "net/url"

// observability decodes the observability section (§5.2) and keeps it as written.
func (d *decoder) observability(m *Manifest, e entry) {
	entries, ok := d.mapping(e.val, "observability", "")
	if !ok || isNull(e.val) {
		return
	}
	m.Observability = e.val.y
	for _, f := range entries {
		if f.key != "otel" {
			d.unknownField(f, "observability", "", []string{"otel"})
			continue
		}
		if otel, ok := d.mapping(f.val, "observability.otel", ""); ok {
			m.Otel = d.otel(otel)
		}
	}
}

// otelFields are the keys of observability.otel.
var otelFields = []string{"enabled", "endpoint", "buffer"}

// otel decodes observability.otel: enabled, the external collector's endpoint and
// the receiver's buffer (§5.2).
func (d *decoder) otel(entries []entry) *Otel {
	o := &Otel{}
	for _, g := range entries {
		path := joinPath("observability.otel", g.key)
		switch g.key {
		case "enabled":
			o.Enabled = d.boolean(g.val, path, "")
		case "endpoint":
			o.Endpoint = d.str(g.val, path, "")
			if o.Endpoint.Set && !validOTelEndpoint(o.Endpoint.Value) {
				d.errorf("invalid-otel-endpoint", path, "", o.Endpoint.Pos,
					"expected an http:// or https:// URL without query or fragment (the base URL of an OTLP/HTTP collector), found %s", quote(o.Endpoint.Value))
				o.Endpoint = Str{}
			}
		case "buffer":
			o.Buffer = d.integer(g.val, path, "")
			if b := o.Buffer; b.Set && (b.Value < MinOTelBuffer || b.Value > MaxOTelBuffer) {
				d.errorf("invalid-otel-buffer", path, "", b.Pos, "expected %d-%d items per signal, found %d", MinOTelBuffer, MaxOTelBuffer, b.Value)
				o.Buffer = Int{}
			}
		default:
			d.unknownField(g, "observability.otel", "", otelFields)
		}
	}
	return o
}

// validOTelEndpoint accepts an absolute http or https URL with a host and without
// query or fragment: lsctl appends /v1/<signal> to it.
func validOTelEndpoint(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.RawQuery == "" && u.Fragment == "" && !u.ForceQuery
}

// exportShape lists, per export target, its settings and the settings of its
// per-resource overrides (§5.3).
var exportShape = map[string]struct{ target, resource []string }{
	"compose":    {nil, []string{"enabled"}},
	"kubernetes": {[]string{"namespace", "image_pull_policy", "replicas"}, []string{"enabled", "replicas", "image_pull_policy"}},
	"helm":       {[]string{"chart_name", "chart_version", "replicas"}, []string{"enabled", "replicas"}},
}

// export type-checks the export section (§5.3); it runs after resources so that unknown
// resource names can be rejected.
func (d *decoder) export(m *Manifest, e entry) {
	entries, ok := d.mapping(e.val, "export", "")
	if !ok || isNull(e.val) {
		return
	}
	m.ExportNode = e.val.y
	m.Export = &Export{}
	declared := declaredNames(m)
	for _, f := range entries {
		var t *ExportTarget
		switch f.key {
		case "compose":
			t = &m.Export.Compose
		case "kubernetes":
			t = &m.Export.Kubernetes
		case "helm":
			t = &m.Export.Helm
		default:
			d.unknownField(f, "export", "", []string{"compose", "kubernetes", "helm"})
			continue
		}
		d.exportTarget(t, f, joinPath("export", f.key), declared)
	}
}

func declaredNames(m *Manifest) map[string]bool {
	names := map[string]bool{}
	for _, r := range m.Resources {
		names[r.Name] = true
	}
	for _, r := range m.Reserved {
		names[r.Name] = true
	}
	return names
}

func (d *decoder) exportTarget(t *ExportTarget, e entry, path string, declared map[string]bool) {
	entries, ok := d.mapping(e.val, path, "")
	if !ok {
		return
	}
	shape := exportShape[e.key]
	known := append([]string{"resources"}, shape.target...)
	for _, f := range entries {
		p := joinPath(path, f.key)
		switch {
		case f.key == "resources":
			d.exportResources(t, f, p, shape.resource, declared)
		case !contains(shape.target, f.key):
			d.unknownField(f, path, "", known)
		case f.key == "replicas":
			t.Replicas = d.integer(f.val, p, "")
		case f.key == "namespace":
			t.Namespace = d.str(f.val, p, "")
		case f.key == "image_pull_policy":
			t.ImagePullPolicy = d.pullPolicy(f.val, p)
		case f.key == "chart_name":
			t.ChartName = d.str(f.val, p, "")
		case f.key == "chart_version":
			t.ChartVersion = d.str(f.val, p, "")
		}
	}
}

func (d *decoder) exportResources(t *ExportTarget, e entry, path string, fields []string, declared map[string]bool) {
	entries, ok := d.mapping(e.val, path, "")
	if !ok {
		return
	}
	for _, r := range entries {
		p := joinPath(path, r.key)
		if !declared[r.key] {
			d.errorf("unknown-export-resource", p, "", r.keyPos, "unknown resource %s", quote(r.key))
			continue
		}
		er := ExportResource{Name: r.key, Pos: r.keyPos}
		settings, ok := d.mapping(r.val, p, r.key)
		if !ok {
			continue
		}
		for _, f := range settings {
			fp := joinPath(p, f.key)
			switch {
			case !contains(fields, f.key):
				d.unknownField(f, p, r.key, fields)
			case f.key == "enabled":
				er.Enabled = d.boolean(f.val, fp, r.key)
			case f.key == "replicas":
				er.Replicas = d.integer(f.val, fp, r.key)
			case f.key == "image_pull_policy":
				er.ImagePullPolicy = d.pullPolicy(f.val, fp)
			}
		}
		t.Resources = append(t.Resources, er)
	}
}

// pullPolicy decodes a Kubernetes image pull policy; the three spellings are the type.
func (d *decoder) pullPolicy(n node, path string) Str {
	s := d.str(n, path, "")
	if s.Set && !contains([]string{"Always", "IfNotPresent", "Never"}, s.Value) {
		d.errorf("type-mismatch", path, "", s.Pos, "expected one of Always, IfNotPresent, Never, found %s", quote(s.Value))
		return Str{}
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
