package manifest

import (
	"strings"
)

// container runs phase 3 on a container or dockerfile resource.
func (v *validator) container(r *Resource, p string) {
	c := r.Container
	if c.Image.Set {
		v.image(r, joinPath(p, "image"), c.Image)
	}
	v.ports(r, p, c)
	envKeys := v.envKeys(r, joinPath(p, "env"), c.Env)
	secretKeys := v.envKeys(r, joinPath(p, "secrets"), c.Secrets)
	for _, s := range c.Secrets {
		if envKeys[s.Key] != nil && secretKeys[s.Key] != nil {
			v.errorf("env-key-conflict", joinPath(joinPath(p, "secrets"), s.Key), r.Name, s.KeyPos,
				"%s is declared in both env and secrets", quote(s.Key))
		}
	}
	v.volumes(r, joinPath(p, "volumes"), c.Volumes)
	if e := c.Entrypoint; e != nil && (len(e.Items) == 0 || e.Shell && isBlank(e.Items[0])) {
		v.errorf("empty-entrypoint", joinPath(p, "entrypoint"), r.Name, e.Pos,
			"entrypoint is empty; remove it to keep the image entrypoint, or give a command vector")
	}
	if cmd := c.Command; cmd != nil && cmd.Shell && isBlank(cmd.Items[0]) {
		v.errorf("empty-command", joinPath(p, "command"), r.Name, cmd.Pos, "command is blank; remove it to keep the image command")
	}
	if wd, ok := literal(c.WorkingDir); ok && !strings.HasPrefix(wd, "/") {
		v.errorf("invalid-working-dir", joinPath(p, "working_dir"), r.Name, c.WorkingDir.Pos,
			"working_dir %s must be an absolute path", quote(wd))
	}
	if b := r.Build; b != nil {
		for _, f := range []struct {
			name string
			s    Str
		}{{"context", b.Context}, {"dockerfile", b.Dockerfile}, {"target", b.Target}} {
			if isBlank(f.s) {
				v.errorf("empty-value", joinPath(p, f.name), r.Name, f.s.Pos, "must not be empty")
			}
		}
		v.envKeys(r, joinPath(p, "build_args"), b.Args)
	}
}

// isBlank reports whether a set field is blank once interpolated (only literal fields can
// be judged now).
func isBlank(s Str) bool {
	val, ok := literal(s)
	return ok && strings.TrimSpace(val) == ""
}

// envKeys checks the keys of env, secrets or build_args and returns the valid ones.
func (v *validator) envKeys(r *Resource, path string, kvs []KV) map[string]*KV {
	keys := map[string]*KV{}
	for i := range kvs {
		kv := &kvs[i]
		if kv.Key == "" || strings.ContainsAny(kv.Key, "=\x00") {
			v.errorf("invalid-env-key", joinPath(path, kv.Key), r.Name, kv.KeyPos, "invalid variable name %s", quote(kv.Key))
			continue
		}
		keys[kv.Key] = kv
	}
	return keys
}

// ports parses every port mapping (§14), filling Port.Parsed.
func (v *validator) ports(r *Resource, p string, c *Container) {
	for i := range c.Ports {
		port := &c.Ports[i]
		pm, err := ParsePort(port.Text, port.IsInt)
		if err != nil {
			v.errorf("invalid-port", indexPath(joinPath(p, "ports"), i), r.Name, port.Pos,
				"invalid port mapping %s: %s", quote(port.Text), reason(err))
			continue
		}
		port.Parsed = pm
	}
}

// volumes checks every literal volume mapping (§15) and duplicate targets.
func (v *validator) volumes(r *Resource, path string, vols []Str) {
	targets := map[string]int{}
	for i, s := range vols {
		p := indexPath(path, i)
		text, ok := literal(s)
		if !ok {
			continue
		}
		vm, err := ParseVolume(text)
		warn := ""
		if err == nil && vm.HostPath {
			warn, err = v.hostPath(vm)
		}
		if warn != "" {
			v.warnf("sensitive-host-path", p, r.Name, s.Pos, "%s", warn)
		}
		if err != nil {
			v.errorf("invalid-volume", p, r.Name, s.Pos, "invalid volume mapping %s: %s", quote(strings.TrimSpace(text)), reason(err))
			continue
		}
		t := strings.TrimSuffix(vm.Target, "/")
		if j, dup := targets[t]; dup {
			v.errorf("duplicate-mount-target", p, r.Name, s.Pos, "target %s is already mounted by volumes[%d]", quote(vm.Target), j)
			continue
		}
		targets[t] = i
	}
}

// hostPath resolves a host-path source and applies the filesystem rules of §15.3
// (CheckHostPath): symbolic links that leave the manifest directory are an error, a
// sensitive host directory a warning.
func (v *validator) hostPath(vm VolumeMapping) (warn string, err error) {
	abs, err := ResolveHostPath(v.m.Dir, vm.Source)
	if err != nil {
		return "", err
	}
	within := v.m.Dir
	if strings.HasPrefix(vm.Source, "/") {
		within = ""
	}
	return CheckHostPath(within, abs)
}
