package plan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/manifest"
)

// manifest200 generates a 200-resource manifest: 20 postgres, 20 redis and 160
// containers that reference them, depend on earlier containers, publish ports and mount
// volumes, so that every plan stage does real work.
func manifest200() string {
	var b strings.Builder
	b.WriteString("project:\n  name: bench\nresources:\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "  db%d:\n    postgres:\n      user: app%d\n      password: ${env.DB_PWD:-pw%d}\n      port: %d\n", i, i, i, 5432+i)
		fmt.Fprintf(&b, "  cache%d:\n    redis:\n      password: ${env.REDIS_PWD:-}\n      port: %d\n", i, 6379+i)
	}
	for i := 0; i < 160; i++ {
		fmt.Fprintf(&b, "  svc%d:\n    container:\n      image: registry.example.com/acme/svc%d:1.%d\n", i, i, i)
		fmt.Fprintf(&b, "      ports: [%d, \"127.0.0.1:%d:80\"]\n", 20000+i, 30000+i)
		fmt.Fprintf(&b, "      env:\n        LOG: ${env.LOG:-info}\n        CACHE: ${resources.cache%d.url}\n", i%20)
		fmt.Fprintf(&b, "      secrets:\n        DATABASE_URL: ${resources.db%d.url}\n", i%20)
		fmt.Fprintf(&b, "      volumes: [\"./data/svc%d:/data\", \"svc%d-cache:/cache\"]\n", i, i)
		fmt.Fprintf(&b, "      command: [\"serve\", \"--name\", \"svc%d\"]\n", i)
		fmt.Fprintf(&b, "      healthcheck:\n        test: [\"CMD\", \"wget\", \"-q\", \"http://127.0.0.1/healthz\"]\n        interval: 1s\n")
		if i > 0 {
			fmt.Fprintf(&b, "      depends_on: [svc%d]\n", (i*7)%i)
		}
	}
	return b.String()
}

func TestManifest200Builds(t *testing.T) {
	p := build(t, manifest200(), Options{Env: testEnv(map[string]string{"LOG": "debug"}), RequireEnv: true})
	if len(p.Nodes) != 200 || len(p.Order) != 200 {
		t.Fatalf("%d nodes, %d ordered", len(p.Nodes), len(p.Order))
	}
	if got := envMap(node(t, p, "svc21"))["DATABASE_URL"].Value; got != "postgres://app1:pw1@db1:5433/db1" {
		t.Errorf("svc21 DATABASE_URL = %q", got)
	}
}

// BenchmarkBuild200 measures decode, validation and plan of a 200-resource manifest
// (docs/spec/runtime.md §19: validate of 200 resources < 50 ms).
func BenchmarkBuild200(b *testing.B) {
	data := []byte(manifest200())
	env := testEnv(map[string]string{"LOG": "debug"})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, diags := manifest.Decode("lightshuttle.yml", "/p", data)
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		if _, diags := Build(m, Options{Env: env, RequireEnv: true}); diags.HasErrors() {
			b.Fatal(diags.Error())
		}
	}
}

// BenchmarkPlanOnly200 isolates Build from decoding and validation.
func BenchmarkPlanOnly200(b *testing.B) {
	m, diags := manifest.Decode("lightshuttle.yml", "/p", []byte(manifest200()))
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	env := testEnv(map[string]string{"LOG": "debug"})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, diags := Build(m, Options{Env: env, RequireEnv: true}); diags.HasErrors() {
			b.Fatal(diags.Error())
		}
	}
}
