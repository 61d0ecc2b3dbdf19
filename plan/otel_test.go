package plan

import (
	"slices"
	"testing"
)

// docs/spec/runtime.md §20.2 (§17 item 91): container and dockerfile resources get the three
// OTEL_* variables, after the LSH_* ones; postgres and redis get none; a variable the
// manifest sets in env or secrets is not replaced; injecting twice changes nothing.
func TestInjectOTel(t *testing.T) {
	p := build(t, `project: {name: shop}
resources:
  db:
    postgres: {}
  api:
    container:
      image: api:1
      depends_on: [db]
  web:
    container:
      image: web:1
      env: {OTEL_SERVICE_NAME: storefront}
      secrets: {OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example.com'}
`, Options{Env: testEnv(nil), Secrets: fakeSecrets{"db": "pw"}})
	p.InjectOTel("http://10.213.1.1:4318")
	p.InjectOTel("http://10.213.1.1:4318")
	api := envMap(node(t, p, "api"))
	if api[EnvOTelEndpoint].Value != "http://10.213.1.1:4318" || api[EnvOTelService].Value != "api" ||
		api[EnvOTelAttributes].Value != "lightshuttle.project=shop,lightshuttle.resource=api" {
		t.Errorf("api env: %+v", api)
	}
	names := []string{}
	for _, v := range node(t, p, "api").Spec.Env {
		names = append(names, v.Name)
	}
	if i := slices.Index(names, EnvOTelEndpoint); i < slices.Index(names, "LSH_DB_URL") || len(names) != len(api) {
		t.Errorf("order or duplicates: %v", names)
	}
	web := envMap(node(t, p, "web"))
	if web[EnvOTelService].Value != "storefront" || web[EnvOTelEndpoint].Value != "https://collector.example.com" ||
		web[EnvOTelAttributes].Value != "lightshuttle.project=shop,lightshuttle.resource=web" {
		t.Errorf("web env: %+v", web)
	}
	for name := range envMap(node(t, p, "db")) {
		if name == EnvOTelEndpoint || name == EnvOTelService || name == EnvOTelAttributes {
			t.Errorf("postgres got %s", name)
		}
	}
}
