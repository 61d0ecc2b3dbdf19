package plan

import (
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lightshuttle/lsctl/manifest"
)

// buildContainer fills a container or dockerfile node (docs/spec/runtime.md §3.4-3.5).
func (b *builder) buildContainer(rs *resource, n *Node) {
	c := rs.r.Container
	if c == nil {
		c = &manifest.Container{}
	}
	if rs.r.Kind == manifest.KindDockerfile {
		n.Spec.Image = BuiltImageName(n.Spec.Project, rs.r.Name)
		n.Spec.Build = b.buildSpec(rs)
	} else {
		n.Spec.Image = b.image(rs, rs.base+".image", true)
	}
	for _, kv := range c.Env {
		v, _ := b.resolve(rs, keyPath(rs.base+".env", kv.Key))
		n.Spec.Env = append(n.Spec.Env, EnvVar{Name: kv.Key, Value: v})
	}
	for _, kv := range c.Secrets {
		v, _ := b.resolve(rs, keyPath(rs.base+".secrets", kv.Key))
		n.Spec.Env = append(n.Spec.Env, EnvVar{Name: kv.Key, Value: v, Secret: true})
		n.SecretValues = append(n.SecretValues, v)
	}
	n.Spec.Volumes = b.volumes(rs, c.Volumes)
	n.Spec.Entrypoint = b.argv(rs, "entrypoint", c.Entrypoint)
	n.Spec.Command = b.argv(rs, "command", c.Command)
	if c.WorkingDir.Set {
		p := rs.base + ".working_dir"
		v, ok := b.resolve(rs, p)
		if rs.recheck(p, ok) && !strings.HasPrefix(v, "/") {
			b.errorAt("invalid-working-dir", rs, p, rs.posOf(p), "working_dir "+manifest.QuoteInput(v)+" must be an absolute path")
		}
		n.Spec.WorkingDir = v
	}
	var containerPorts []string
	for _, p := range c.Ports {
		m := p.Parsed
		if m.ContainerPort == 0 {
			m, _ = manifest.ParsePort(p.Text, p.IsInt)
		}
		if m.ContainerPort == 0 {
			continue // invalid: validation reported it
		}
		if m.HostIP == "" {
			m.HostIP = "127.0.0.1"
		}
		n.Spec.Ports = append(n.Spec.Ports, PortBinding{HostIP: m.HostIP, HostPort: m.HostPort,
			ContainerPort: m.ContainerPort, RequestedHostPort: m.HostPort})
		containerPorts = append(containerPorts, strconv.Itoa(int(m.ContainerPort)))
	}
	setOutputs(n, "host", rs.r.Name, "ports", strings.Join(containerPorts, ","))
	n.Health = b.health(rs, nil, 0, nil, nil)
}

// argv resolves entrypoint or command (docs/spec/manifest.md §13): the string form becomes
// ["sh","-c",s]; `command: []` is nil (image default); entrypoint [""] is kept.
func (b *builder) argv(rs *resource, name string, a *manifest.Argv) []string {
	if a == nil {
		return nil
	}
	if a.Shell {
		if len(a.Items) == 0 {
			return nil
		}
		p := rs.base + "." + name
		v, ok := b.resolve(rs, p)
		if rs.recheck(p, ok) && strings.TrimSpace(v) == "" {
			code, msg := "empty-command", "command is blank; remove it to keep the image command"
			if name == "entrypoint" {
				code, msg = "empty-entrypoint", "entrypoint is empty; remove it to keep the image entrypoint, or give a command vector"
			}
			b.errorAt(code, rs, p, rs.posOf(p), msg)
		}
		return []string{"sh", "-c", v}
	}
	if len(a.Items) == 0 {
		return nil
	}
	out := make([]string, len(a.Items))
	for i := range a.Items {
		out[i], _ = b.resolve(rs, indexPath(rs.base+"."+name, i))
	}
	return out
}

// buildSpec resolves a dockerfile resource's build section: context relative to the
// manifest directory, Dockerfile relative to the context (docs/spec/manifest.md §11).
func (b *builder) buildSpec(rs *resource) *BuildSpec {
	bd := rs.r.Build
	if bd == nil {
		bd = &manifest.Build{}
	}
	spec := &BuildSpec{}
	ctx := ""
	if bd.Context.Set {
		ctx, _ = b.nonEmpty(rs, rs.base+".context")
	}
	// The context may lie outside the manifest directory (`..`, `../svc`, an absolute
	// path): monorepos keep deploy/lightshuttle.yml beside the code (issue 15).
	spec.Context = absUnder(b.m.Dir, ctx)
	dockerfile := "Dockerfile"
	if bd.Dockerfile.Set {
		dockerfile, _ = b.nonEmpty(rs, rs.base+".dockerfile")
	}
	spec.Dockerfile = absUnder(spec.Context, dockerfile)
	for _, kv := range bd.Args {
		v, _ := b.resolve(rs, keyPath(rs.base+".build_args", kv.Key))
		spec.Args = append(spec.Args, EnvVar{Name: kv.Key, Value: v})
	}
	if bd.Target.Set {
		spec.Target, _ = b.nonEmpty(rs, rs.base+".target")
	}
	return spec
}

// absUnder makes p absolute against dir (lexically, symlinks not resolved).
func absUnder(dir, p string) string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return filepath.Clean(p)
}

// volumes resolves volume mappings (docs/spec/manifest.md §15): host paths against the manifest
// directory, named volumes as named. Mappings that held references are re-checked,
// including duplicate targets.
func (b *builder) volumes(rs *resource, vols []manifest.Str) []VolumeBinding {
	var out []VolumeBinding
	targets := map[string]int{}
	for i := range vols {
		p := indexPath(rs.base+".volumes", i)
		v, ok := b.resolve(rs, p)
		check := rs.recheck(p, ok)
		vb, err := b.volume(v)
		if err == nil && check && vb.Kind == VolumeBind {
			err = b.hostPathRecheck(rs, p, vb)
		}
		if err != nil {
			if check {
				b.errorAt("invalid-volume", rs, p, rs.posOf(p), "invalid volume mapping "+manifest.QuoteInput(strings.TrimSpace(v))+": "+err.Error())
			}
			continue
		}
		key := strings.TrimSuffix(path.Clean(vb.Target), "/")
		if j, dup := targets[key]; dup {
			if check || rs.recheck(indexPath(rs.base+".volumes", j), true) {
				b.errorAt("duplicate-mount-target", rs, p, rs.posOf(p),
					"target "+manifest.QuoteInput(vb.Target)+" is already mounted by volumes["+strconv.Itoa(j)+"]")
			}
			continue
		}
		targets[key] = i
		out = append(out, vb)
	}
	return out
}

// volume parses one resolved mapping.
func (b *builder) volume(v string) (VolumeBinding, error) {
	m, err := manifest.ParseVolume(strings.TrimSpace(v))
	if err != nil {
		return VolumeBinding{}, err
	}
	if !m.HostPath {
		return VolumeBinding{Kind: VolumeNamed, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}, nil
	}
	src, err := manifest.ResolveHostPath(b.m.Dir, m.Source)
	if err != nil {
		return VolumeBinding{}, err
	}
	vb := VolumeBinding{Kind: VolumeBind, Source: src, Target: m.Target, ReadOnly: m.ReadOnly}
	if !strings.HasPrefix(m.Source, "/") {
		vb.Within = absUnder(b.m.Dir, ".")
	}
	return vb, nil
}

// hostPathRecheck applies the filesystem rules of docs/spec/manifest.md §15.3 to a host path
// that held references (phase 5): the validator could not see where its symbolic links
// lead. Like phase 7, it reads the filesystem and changes nothing.
func (b *builder) hostPathRecheck(rs *resource, path string, vb VolumeBinding) error {
	warn, err := manifest.CheckHostPath(vb.Within, vb.Source)
	if warn != "" {
		b.diagAt(manifest.SeverityWarning, "sensitive-host-path", rs, path, rs.posOf(path), warn)
	}
	return err
}
