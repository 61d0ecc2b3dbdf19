package plan

import (
	"path/filepath"
	"strings"

	"github.com/lightshuttle/lsctl/manifest"
)

// buildNode resolves one resource; its dependencies are already built.
func (b *builder) buildNode(rs *resource, deps []string, offset int) {
	r := rs.r
	project := b.m.Project.Name.Value
	n := &Node{
		Name:      r.Name,
		Kind:      r.Kind,
		Index:     rs.index,
		DependsOn: deps,
		Restart:   RestartNo,
	}
	if r.Restart.Set && r.Restart.Value != "" {
		n.Restart = RestartPolicy(r.Restart.Value)
	}
	dir := ProjectDir(b.dataRoot, project)
	n.Spec = ContainerSpec{
		ID:             ContainerID(project, r.Name),
		Project:        project,
		Resource:       r.Name,
		Kind:           r.Kind,
		Hostname:       r.Name,
		HostOffset:     offset,
		HostsPath:      filepath.Join(dir, "hosts"),
		ResolvConfPath: filepath.Join(dir, "resolv.conf"),
		HostnamePath:   filepath.Join(dir, "hostname", r.Name),
		LogPath:        LogPath(b.dataRoot, project, r.Name),
		Labels: map[string]string{
			LabelProject:   project,
			LabelResource:  r.Name,
			LabelKind:      string(r.Kind),
			LabelDependsOn: strings.Join(deps, ","),
		},
	}
	switch r.Kind {
	case manifest.KindPostgres:
		b.buildPostgres(rs, n)
	case manifest.KindRedis:
		b.buildRedis(rs, n)
	case manifest.KindContainer, manifest.KindDockerfile:
		b.buildContainer(rs, n)
	}
	n.Spec.Env = append(n.Spec.Env, b.injectLSH(rs, n)...)
	b.nodes[r.Name] = n
}

// lshName is upper(D) of docs/spec/manifest.md §23: upper case, "-" replaced by "_".
func lshName(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
}

// injectLSH returns LSH_<DEP>_<PROP> for every output of every direct dependency, except
// keys the resource declares in env or secrets (docs/spec/manifest.md §23). When two dependencies
// map to one prefix, the first in the merged list wins and lsh-collision is reported.
func (b *builder) injectLSH(rs *resource, n *Node) []EnvVar {
	declared := map[string]bool{}
	if c := rs.r.Container; c != nil {
		for _, kv := range c.Env {
			declared[kv.Key] = true
		}
		for _, kv := range c.Secrets {
			declared[kv.Key] = true
		}
	}
	claimed := map[string]string{}
	var out []EnvVar
	for _, d := range n.DependsOn {
		dep := b.nodes[d]
		if dep == nil {
			continue
		}
		prefix := lshName(d)
		if first, ok := claimed[prefix]; ok {
			path := "resources." + rs.r.Name
			b.diagAt(manifest.SeverityWarning, "lsh-collision", rs, path, rs.r.Pos,
				`dependencies "`+first+`" and "`+d+`" both map to LSH_`+prefix+`_*; values from "`+first+`" are used`)
			continue
		}
		claimed[prefix] = d
		for _, prop := range dep.OutputNames {
			key := "LSH_" + prefix + "_" + strings.ToUpper(prop) // property names have no "-"
			if declared[key] {
				continue
			}
			out = append(out, EnvVar{Name: key, Value: dep.Outputs[prop], Secret: prop == "password" || prop == "url"})
		}
	}
	return out
}

// setOutputs records the outputs in their documented order (docs/spec/manifest.md §12).
func setOutputs(n *Node, kv ...string) {
	n.Outputs = make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		n.OutputNames = append(n.OutputNames, kv[i])
		n.Outputs[kv[i]] = kv[i+1]
	}
}
