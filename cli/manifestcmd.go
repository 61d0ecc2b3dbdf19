package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// Placeholders of `lsctl manifest` (docs/spec/runtime.md §16.9).
const (
	redactedText      = "<redacted>"
	notGeneratedYet   = "<generated at first up>"
	manifestFormatTag = "v0"
)

// manifestPrinter renders the resolved manifest of docs/spec/runtime.md §16.9: a valid v0
// manifest with every default written out, ${env.*} resolved where possible, and secret
// fields redacted unless showSecrets.
type manifestPrinter struct {
	m           *manifest.Manifest
	p           *plan.Plan
	env         func(string) (string, bool)
	showSecrets bool
	generated   map[string]bool // postgres resources whose password is generated
	secrets     plan.SecretStore
}

func (s *session) manifestAction(c *ucli.Context) error {
	if err := needArgs(c, 0, 0, ""); err != nil {
		return err
	}
	ld, err := s.load(s.opts.EnvFile, false)
	if err != nil {
		return err
	}
	mp := &manifestPrinter{m: ld.manifest, env: ld.env.Lookup, showSecrets: c.Bool("show-secrets"), generated: map[string]bool{}}
	if mp.showSecrets {
		store, err := plan.OpenSecrets(s.opts.DataRoot, ld.manifest.Project.Name.Value)
		if err != nil {
			return err
		}
		mp.secrets = store
	}
	p, diags := plan.Build(ld.manifest, plan.Options{Env: ld.env, Secrets: mp.secrets, DataRoot: s.opts.DataRoot,
		NeedsGenerated: func(r string) { mp.generated[r] = true }})
	if diags.HasErrors() {
		render.WriteDiagnostics(s.stderr, diags)
		return silentFailure()
	}
	mp.p = p
	return mp.write(s.stdout)
}

// write prints the header comment and the document.
func (mp *manifestPrinter) write(w io.Writer) error {
	path := mp.m.Path
	if path == "" {
		path = mp.m.File
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	fmt.Fprintf(w, "# resolved by lsctl %s from %s\n", buildVersion(), path)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(mp.document()); err != nil {
		return fmt.Errorf("write resolved manifest: %w", err)
	}
	return enc.Close()
}

// document builds the top-level mapping in the order of docs/spec/runtime.md §16.9.
func (mp *manifestPrinter) document() *yaml.Node {
	doc := mapNode()
	put(doc, "lightshuttle", strNode(manifestFormatTag))
	project := mapNode()
	put(project, "name", strNode(mp.m.Project.Name.Value))
	if v := mp.m.Project.Version; v.Set {
		put(project, "version", strNode(v.Value))
	}
	if v := mp.m.Project.Description; v.Set {
		put(project, "description", strNode(v.Value))
	}
	put(doc, "project", project)
	if d := mp.m.Dashboard; d != nil && d.Port.Set {
		dash := mapNode()
		put(dash, "port", intNode(d.Port.Value))
		put(doc, "dashboard", dash)
	}
	if mp.m.Observability != nil {
		put(doc, "observability", mp.m.Observability)
	}
	if mp.m.ExportNode != nil {
		put(doc, "export", mp.m.ExportNode)
	}
	resources := mapNode()
	for _, r := range mp.m.Resources {
		entry := mapNode()
		put(entry, string(r.Kind), mp.resource(r))
		put(resources, r.Name, entry)
	}
	put(doc, "resources", emptyFlowMap(resources))
	return doc
}

// resource builds one kind configuration.
func (mp *manifestPrinter) resource(r *manifest.Resource) *yaml.Node {
	n := mp.p.Node(r.Name)
	cfg := mapNode()
	switch r.Kind {
	case manifest.KindPostgres:
		mp.postgres(cfg, r, n)
	case manifest.KindRedis:
		mp.redis(cfg, r, n)
	case manifest.KindContainer:
		put(cfg, "image", strNode(mp.image(r.Container.Image, n.Spec.Image)))
		mp.container(cfg, r)
	case manifest.KindDockerfile:
		mp.build(cfg, r, n)
		mp.container(cfg, r)
	}
	mp.common(cfg, r, n)
	return cfg
}

// text resolves the ${env.*} references of a field value where possible
// (docs/spec/runtime.md §16.9); a field that cannot be fully resolved, or whose result would
// contain "${", keeps its original text.
func (mp *manifestPrinter) text(s string) string {
	t, err := manifest.ParseTemplate(s)
	if err != nil {
		return s
	}
	v, ok := t.ResolveEnvOnly(mp.env)
	if !ok || strings.Contains(v, "${") {
		return s
	}
	return v
}

// textOr is the resolved field, or def when the field is unset.
func (mp *manifestPrinter) textOr(s manifest.Str, def string) string {
	if !s.Set {
		return def
	}
	return mp.text(s.Value)
}

// image is the normalised reference of an image field when it resolves, else its text;
// planned is the plan's reference, used when the field is unset.
func (mp *manifestPrinter) image(s manifest.Str, planned string) string {
	if !s.Set {
		return planned
	}
	v := mp.text(s.Value)
	if ref, err := manifest.ParseImageRef(v); err == nil && !strings.Contains(v, "${") {
		return ref.Normalized()
	}
	return v
}

// secret renders a secret field: redacted, or its value with --show-secrets.
func (mp *manifestPrinter) secret(value string) *yaml.Node {
	if !mp.showSecrets {
		return quotedNode(redactedText)
	}
	return quotedNode(value)
}
