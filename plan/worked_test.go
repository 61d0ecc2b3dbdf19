package plan

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lightshuttle/lsctl/manifest"
)

// docs/spec/manifest.md §28: the worked example, loaded from testdata with its .env file, from a
// current directory that is not the manifest directory.
func TestWorkedExample(t *testing.T) {
	dir, err := filepath.Abs("testdata/worked")
	if err != nil {
		t.Fatal(err)
	}
	m, env, diags := manifest.Load(manifest.LoadOptions{Dir: filepath.Join(dir, "web"),
		LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	p, diags := Build(m, Options{Env: env, RequireEnv: true, Secrets: fakeSecrets{}})
	if len(diags) != 0 {
		t.Fatal(diags.Error())
	}
	wantDeps := map[string][]string{"cache": nil, "db": nil, "api": {"db", "cache"}, "web": {"api"}}
	for name, deps := range wantDeps {
		if got := node(t, p, name).DependsOn; !reflect.DeepEqual(got, deps) {
			t.Errorf("%s depends on %q, want %q", name, got, deps)
		}
	}
	db := node(t, p, "db").Outputs
	wantDB := map[string]string{"host": "db", "port": "5432", "user": "app", "password": "hunter2hunter2",
		"database": "db", "url": "postgres://app:hunter2hunter2@db:5432/db"}
	if !reflect.DeepEqual(db, wantDB) {
		t.Errorf("db outputs = %v", db)
	}
	api := envMap(node(t, p, "api"))
	for k, v := range map[string]string{"LOG_LEVEL": "info", "DATABASE_URL": wantDB["url"], "REDIS_URL": "redis://cache:6379",
		"LSH_DB_URL": wantDB["url"], "LSH_CACHE_HOST": "cache", "LSH_CACHE_PORT": "6379", "LSH_CACHE_PASSWORD": "",
		"LSH_CACHE_URL": "redis://cache:6379"} {
		if got, ok := api[k]; !ok || got.Value != v {
			t.Errorf("api %s = %q (set %v), want %q", k, got.Value, ok, v)
		}
	}
	if len(api) != 13 {
		t.Errorf("api has %d variables, want 3 + 6 LSH_DB_* + 4 LSH_CACHE_*", len(api))
	}
	web := node(t, p, "web")
	wantWeb := []EnvVar{{Name: "API_URL", Value: "http://api:8080"}, {Name: "LSH_API_HOST", Value: "api"}, {Name: "LSH_API_PORTS", Value: "8080"}}
	if !reflect.DeepEqual(web.Spec.Env, wantWeb) {
		t.Errorf("web env = %+v", web.Spec.Env)
	}
	wantBuild := BuildSpec{Context: filepath.Join(dir, "web"), Dockerfile: filepath.Join(dir, "web", "Dockerfile"), Target: "dev"}
	if web.Spec.Build == nil || !reflect.DeepEqual(*web.Spec.Build, wantBuild) || web.Spec.Image != "docker.io/lightshuttle/shop_web:dev" {
		t.Errorf("web build %+v image %q", web.Spec.Build, web.Spec.Image)
	}
	if !reflect.DeepEqual(p.Order, []string{"cache", "db", "api", "web"}) {
		t.Errorf("order = %q", p.Order)
	}
}
