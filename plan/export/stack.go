package export

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// stack is the plan as one target sees it: the enabled resources in manifest order, with
// per-target overrides applied and every secret value turned into a reference.
type stack struct {
	plan     *plan.Plan
	target   string
	secrets  *secretSet
	services []*service
	byName   map[string]*service
	settings manifest.ExportTarget
}

// service is one exported resource.
type service struct {
	node       *plan.Node
	Name       string // resource name (compose service name)
	DNS        string // Kubernetes object name (docs/spec/manifest.md §19)
	Image      string // normalised reference
	Build      *plan.BuildSpec
	Env        []envVar // sorted by name
	Entrypoint []arg    // nil: image default
	Command    []arg    // nil: image default
	WorkingDir arg
	Ports      []plan.PortBinding
	Volumes    []plan.VolumeBinding
	Health     *health
	Deps       []string // enabled dependencies, merged order
	Replicas   int
	PullPolicy string
	Restart    plan.RestartPolicy
}

// envVar is one container variable; a Secret one is emitted as a reference only.
type envVar struct {
	Name, Value string
	Secret      bool
}

// health is a healthcheck with its test split around secrets.
type health struct {
	Shell bool  // CMD-SHELL: Test holds one shell string
	Test  []arg // CMD: the argv; CMD-SHELL: one element
	*plan.Healthcheck
}

// newStack applies the export section of target to p.
func newStack(p *plan.Plan, target string) (*stack, error) {
	st := &stack{plan: p, target: target, secrets: newSecretSet(p), byName: map[string]*service{}}
	if x := p.Manifest; x != nil && x.Export != nil {
		switch target {
		case TargetCompose:
			st.settings = x.Export.Compose
		case TargetKubernetes:
			st.settings = x.Export.Kubernetes
		case TargetHelm:
			st.settings = x.Export.Helm
		}
	}
	over := map[string]manifest.ExportResource{}
	for _, r := range st.settings.Resources {
		if p.Node(r.Name) == nil {
			return nil, fmt.Errorf("export.%s.resources.%s: unknown resource %q; remove the override or declare the resource", target, r.Name, r.Name)
		}
		over[r.Name] = r
	}
	for _, n := range p.Nodes {
		o := over[n.Name]
		if o.Enabled.Set && !o.Enabled.Value {
			continue
		}
		sv, err := st.newService(n, o)
		if err != nil {
			return nil, err
		}
		st.services = append(st.services, sv)
		st.byName[n.Name] = sv
	}
	for _, sv := range st.services {
		for _, d := range sv.node.DependsOn {
			if st.byName[d] != nil {
				sv.Deps = append(sv.Deps, d)
			}
		}
	}
	return st, nil
}

// newService converts one node; o is its override (zero when none).
func (st *stack) newService(n *plan.Node, o manifest.ExportResource) (*service, error) {
	sv := &service{node: n, Name: n.Name, DNS: dnsName(n.Name), Image: n.Spec.Image, Build: n.Spec.Build,
		Ports: n.Spec.Ports, Volumes: n.Spec.Volumes, Restart: n.Restart, Replicas: 1, PullPolicy: "IfNotPresent"}
	if r := st.settings.Replicas; r.Set {
		sv.Replicas = int(r.Value)
	}
	if o.Replicas.Set {
		sv.Replicas = int(o.Replicas.Value)
	}
	if sv.Replicas < 0 {
		return nil, fmt.Errorf("export.%s: replicas of %s is %d; use 0 or more", st.target, n.Name, sv.Replicas)
	}
	if pp := st.settings.ImagePullPolicy; pp.Set {
		sv.PullPolicy = pp.Value
	}
	if o.ImagePullPolicy.Set {
		sv.PullPolicy = o.ImagePullPolicy.Value
	}
	sv.Env = st.environment(n)
	sv.Entrypoint = st.argv(sv, n.Spec.Entrypoint)
	sv.Command = st.argv(sv, n.Spec.InlineCommand())
	if n.Spec.WorkingDir != "" {
		sv.WorkingDir = st.secrets.split(n.Spec.WorkingDir, sv.varFor)
	}
	if h := n.Health; h != nil {
		sv.Health = &health{Healthcheck: h, Shell: len(h.Test) > 0 && h.Test[0] == "CMD-SHELL"}
		if sv.Health.Shell {
			sv.Health.Test = []arg{st.secrets.split(h.Argv[len(h.Argv)-1], sv.varFor)}
		} else {
			sv.Health.Test = st.argv(sv, h.Argv)
		}
	}
	return sv, nil
}

// environment is the container environment sorted by name, with every secret flagged.
// Probe-only variables (REDISCLI_AUTH) join it: an exported probe runs in the container's
// environment.
func (st *stack) environment(n *plan.Node) []envVar {
	seen := map[string]bool{}
	var out []envVar
	add := func(e plan.EnvVar) {
		if seen[e.Name] {
			return
		}
		seen[e.Name] = true
		secret := e.Secret || st.secrets.isSecretValue(e.Name, e.Value)
		out = append(out, envVar{Name: e.Name, Value: e.Value, Secret: secret})
	}
	for _, e := range n.Spec.Env {
		add(e)
	}
	if n.Health != nil {
		for _, e := range n.Health.Env {
			e.Secret = true
			add(e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// argv splits every element of an argument vector around secrets; nil stays nil.
func (st *stack) argv(sv *service, in []string) []arg {
	if in == nil {
		return nil
	}
	out := make([]arg, len(in))
	for i, s := range in {
		out[i] = st.secrets.split(s, sv.varFor)
	}
	return out
}

// varFor names the secret variable of the container that holds value, adding one
// (LSH_SECRET_<n>) when no variable carries exactly that value.
func (sv *service) varFor(value string) string {
	for _, e := range sv.Env {
		if e.Secret && e.Value == value {
			return e.Name
		}
	}
	name := ""
	for i := 1; name == "" || hasEnv(sv.Env, name); i++ {
		name = "LSH_SECRET_" + strconv.Itoa(i)
	}
	sv.Env = append(sv.Env, envVar{Name: name, Value: value, Secret: true})
	sort.Slice(sv.Env, func(i, j int) bool { return sv.Env[i].Name < sv.Env[j].Name })
	return name
}

// containerPorts are the distinct container ports in declaration order.
func (sv *service) containerPorts() []uint16 {
	seen := map[uint16]bool{}
	var out []uint16
	for _, p := range sv.Ports {
		if !seen[p.ContainerPort] {
			seen[p.ContainerPort] = true
			out = append(out, p.ContainerPort)
		}
	}
	return out
}

// seconds rounds a duration up to whole seconds, never below min.
func seconds(d time.Duration, min int) int {
	s := int((d + time.Second - 1) / time.Second)
	if s < min {
		return min
	}
	return s
}
