package plan

import (
	"net/netip"
	"testing"

	"github.com/lightshuttle/lsctl/manifest"
)

// FuzzBuild checks that no manifest, valid or not, makes Build (or the plan's helpers)
// panic: the CLI may plan a manifest that failed validation. Cycles and references to
// unknown resources, for instance, must be reported or ignored, never crash.
func FuzzBuild(f *testing.F) {
	for _, seed := range []string{
		manifestOf("shop", "db: {postgres: {}}\ncache: {redis: {password: pw}}"),
		manifestOf("shop", "a: {container: {image: \"x:1\", depends_on: [b]}}\nb: {container: {image: \"x:1\", env: {A: \"${resources.a.host}\"}}}"),
		manifestOf("shop", "a: {container: {image: \"${env.X:-${resources.nope.url}}\", volumes: [\"${env.V}\"]}}"),
		manifestOf("shop", "w: {dockerfile: {context: \"${env.C}\", target: \"\"}}\nd: {postgres: {database: \"${env.D:-1}\", healthcheck: {test: [NONE]}}}"),
		manifestOf("p", "a-b: {redis: {}}\na_b: {redis: {}}\nx: {container: {image: \"x:1\", command: \"${resources.a-b.url}${resources.a_b.url}\"}}"),
	} {
		f.Add(seed)
	}
	env := manifest.NewEnv("/p/.env", map[string]string{"X": "Bad:Image", "V": "../x:/y", "D": "9"}, nil)
	f.Fuzz(func(t *testing.T, yaml string) {
		m, _ := manifest.Decode("lightshuttle.yml", "/p", []byte(yaml))
		if m == nil {
			return
		}
		for _, require := range []bool{false, true} {
			p, diags := Build(m, Options{Env: env, RequireEnv: require, Secrets: fakeSecrets{}})
			if p == nil {
				if !diags.HasErrors() {
					t.Fatal("nil plan without an error")
				}
				continue
			}
			p.AssignSubnet(netip.MustParsePrefix("10.213.7.0/24"))
			_ = p.HostsFile()
			_ = p.Redactor().Redact(yaml)
			for _, n := range p.Nodes {
				_, _ = ConfigHash(&n.Spec, ImageConfig{Cmd: []string{"x"}})
			}
		}
	})
}
