package cli

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// The kind printers write fields in the order of the docs/spec/manifest.md §8-§11 tables.

func (mp *manifestPrinter) postgres(cfg *yaml.Node, r *manifest.Resource, n *plan.Node) {
	pg := r.Postgres
	if pg == nil {
		pg = &manifest.Postgres{}
	}
	put(cfg, "version", strNode(mp.textOr(pg.Version, "16")))
	put(cfg, "image", strNode(mp.image(pg.Image, n.Spec.Image)))
	put(cfg, "database", strNode(mp.textOr(pg.Database, r.Name)))
	put(cfg, "user", strNode(mp.textOr(pg.User, "postgres")))
	put(cfg, "password", mp.postgresPassword(r.Name, pg.Password))
	put(cfg, "port", intNode(portValue(pg.Port, 5432)))
	put(cfg, "volume", mp.volume(pg.Volume, r.Name))
}

// postgresPassword shows an explicit password, the stored generated one, or the
// not-yet-generated placeholder (docs/spec/runtime.md §16.9).
func (mp *manifestPrinter) postgresPassword(resource string, s manifest.Str) *yaml.Node {
	if !mp.showSecrets {
		return quotedNode(redactedText)
	}
	if mp.generated[resource] {
		if mp.secrets != nil {
			if pw, ok := mp.secrets.Password(resource); ok {
				return quotedNode(pw)
			}
		}
		return quotedNode(notGeneratedYet)
	}
	return quotedNode(mp.text(s.Value))
}

func (mp *manifestPrinter) redis(cfg *yaml.Node, r *manifest.Resource, n *plan.Node) {
	rd := r.Redis
	if rd == nil {
		rd = &manifest.Redis{}
	}
	put(cfg, "version", strNode(mp.textOr(rd.Version, "7")))
	put(cfg, "image", strNode(mp.image(rd.Image, n.Spec.Image)))
	// An empty redis password means "no authentication": there is nothing to hide.
	if pw := mp.textOr(rd.Password, ""); pw == "" {
		put(cfg, "password", quotedNode(""))
	} else {
		put(cfg, "password", mp.secret(pw))
	}
	put(cfg, "port", intNode(portValue(rd.Port, 6379)))
	put(cfg, "volume", mp.volume(rd.Volume, r.Name))
}

func portValue(p manifest.Int, def int64) int64 {
	if p.Set {
		return p.Value
	}
	return def
}

// volume is the volume name, or false.
func (mp *manifestPrinter) volume(v manifest.Volume, resource string) *yaml.Node {
	if v.Set && !v.Enabled {
		return boolNode(false)
	}
	if v.Name != "" {
		return strNode(v.Name)
	}
	return strNode(plan.DefaultVolumeName(mp.m.Project.Name.Value, resource))
}

// build writes the dockerfile-only fields with absolute paths.
func (mp *manifestPrinter) build(cfg *yaml.Node, r *manifest.Resource, n *plan.Node) {
	b := r.Build
	context, dockerfile := mp.textOr(b.Context, ""), mp.textOr(b.Dockerfile, "Dockerfile")
	if n.Spec.Build != nil {
		context, dockerfile = n.Spec.Build.Context, n.Spec.Build.Dockerfile
	}
	put(cfg, "context", strNode(context))
	put(cfg, "dockerfile", strNode(dockerfile))
	args := mapNode()
	for _, kv := range b.Args {
		put(args, kv.Key, strNode(mp.text(kv.Value.Value)))
	}
	put(cfg, "build_args", emptyFlowMap(args))
	if b.Target.Set {
		put(cfg, "target", strNode(mp.text(b.Target.Value)))
	}
}

// container writes the fields shared by container and dockerfile resources.
func (mp *manifestPrinter) container(cfg *yaml.Node, r *manifest.Resource) {
	c := r.Container
	if c == nil {
		c = &manifest.Container{}
	}
	var ports []*yaml.Node
	for _, p := range c.Ports {
		ports = append(ports, quotedNode(canonicalPort(p.Parsed)))
	}
	put(cfg, "ports", blockSeq(ports))
	env := mapNode()
	for _, kv := range c.Env {
		put(env, kv.Key, strNode(mp.text(kv.Value.Value)))
	}
	put(cfg, "env", emptyFlowMap(env))
	secrets := mapNode()
	for _, kv := range c.Secrets {
		put(secrets, kv.Key, mp.secret(mp.text(kv.Value.Value)))
	}
	put(cfg, "secrets", emptyFlowMap(secrets))
	var vols []*yaml.Node
	for _, v := range c.Volumes {
		vols = append(vols, strNode(mp.volumeMapping(v.Value)))
	}
	put(cfg, "volumes", blockSeq(vols))
	if c.Entrypoint != nil {
		put(cfg, "entrypoint", mp.argv(c.Entrypoint))
	}
	if c.Command != nil {
		put(cfg, "command", mp.argv(c.Command))
	}
	if c.WorkingDir.Set {
		put(cfg, "working_dir", strNode(mp.text(c.WorkingDir.Value)))
	}
}

func canonicalPort(p manifest.PortMapping) string {
	return p.HostIP + ":" + strconv.Itoa(int(p.HostPort)) + ":" + strconv.Itoa(int(p.ContainerPort))
}

// volumeMapping makes a host-path source absolute (docs/spec/runtime.md §16.9).
func (mp *manifestPrinter) volumeMapping(text string) string {
	v := mp.text(text)
	if strings.Contains(v, "${") {
		return v
	}
	vm, err := manifest.ParseVolume(v)
	if err != nil || !vm.HostPath {
		return v
	}
	abs, err := manifest.ResolveHostPath(mp.m.Dir, vm.Source)
	if err != nil {
		return v
	}
	if vm.ReadOnly {
		return abs + ":" + vm.Target + ":ro"
	}
	return abs + ":" + vm.Target
}

func (mp *manifestPrinter) argv(a *manifest.Argv) *yaml.Node {
	items := make([]string, len(a.Items))
	for i, it := range a.Items {
		items[i] = mp.text(it.Value)
	}
	if a.Shell && len(items) == 1 {
		return strNode(items[0])
	}
	return flowSeq(items)
}

// common writes healthcheck, depends_on and restart.
func (mp *manifestPrinter) common(cfg *yaml.Node, r *manifest.Resource, n *plan.Node) {
	if hc := mp.healthcheck(r, n); hc != nil {
		put(cfg, "healthcheck", hc)
	}
	deps := n.DependsOn
	if deps == nil {
		deps = []string{}
	}
	put(cfg, "depends_on", flowSeq(deps))
	restart := string(n.Restart)
	if restart == "" {
		restart = string(plan.RestartNo)
	}
	put(cfg, "restart", quotedNode(restart))
}

// putNativeForm writes the http or tcp form with its defaults made explicit.
func putNativeForm(hc *yaml.Node, n *plan.NativeProbe) {
	if n.Protocol == plan.ProbeTCP {
		put(hc, "tcp", intNode(int64(n.Port)))
		return
	}
	form := mapNode()
	put(form, "port", intNode(int64(n.Port)))
	put(form, "path", strNode(n.Path))
	if n.Status != 0 {
		put(form, "status", intNode(int64(n.Status)))
	}
	put(hc, "http", form)
}

// healthcheck writes the complete healthcheck: the test or native form, and every timing.
func (mp *manifestPrinter) healthcheck(r *manifest.Resource, n *plan.Node) *yaml.Node {
	h := n.Health
	if h == nil {
		if r.Healthcheck != nil && r.Healthcheck.TestSet {
			hc := mapNode()
			put(hc, "test", flowSeq([]string{"NONE"}))
			return hc
		}
		return nil
	}
	test := h.Test
	if r.Healthcheck != nil && r.Healthcheck.TestSet {
		test = make([]string, len(r.Healthcheck.Test))
		for i, t := range r.Healthcheck.Test {
			test[i] = mp.text(t.Value)
		}
	}
	hc := mapNode()
	if n := h.Native; n != nil && (n.Protocol == plan.ProbeHTTP || n.Protocol == plan.ProbeTCP) {
		putNativeForm(hc, n)
	} else {
		put(hc, "test", flowSeq(test))
	}
	put(hc, "interval", strNode(manifest.FormatDuration(h.Interval)))
	put(hc, "timeout", strNode(manifest.FormatDuration(h.Timeout)))
	put(hc, "retries", intNode(int64(h.Retries)))
	put(hc, "start_period", strNode(manifest.FormatDuration(h.StartPeriod)))
	put(hc, "start_interval", strNode(manifest.FormatDuration(h.StartInterval)))
	return hc
}
