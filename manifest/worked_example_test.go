package manifest

import (
	"strings"
	"testing"
)

// §28: the worked example is valid, with its four resources in declaration order.
func TestWorkedExample_28(t *testing.T) {
	m, ds := decodeYAML(t, `project:
  name: shop
resources:
  cache:
    redis: {}
  db:
    postgres:
      user: app
      password: ${env.DB_PASSWORD:-}
  api:
    container:
      image: registry.example.com/acme/api:1.4
      ports: [8080]
      env:
        LOG_LEVEL: ${env.LOG_LEVEL:-info}
      secrets:
        DATABASE_URL: ${resources.db.url}
        REDIS_URL: ${resources.cache.url}
      healthcheck:
        test: ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/healthz"]
        start_period: 10s
  web:
    dockerfile:
      context: ./web
      target: dev
      env:
        API_URL: http://${resources.api.host}:8080
      ports: ["3000:3000"]
`)
	expectCodes(t, ds)
	if len(m.Resources) != 4 {
		t.Fatalf("resources = %d", len(m.Resources))
	}
	var names []string
	for _, r := range m.Resources {
		names = append(names, r.Name+":"+string(r.Kind))
	}
	if got := strings.Join(names, " "); got != "cache:redis db:postgres api:container web:dockerfile" {
		t.Errorf("resources = %s", got)
	}
	secrets := 0
	for _, f := range m.Resource("api").Interpolated() {
		if f.Secret {
			secrets++
		}
	}
	if secrets != 2 {
		t.Errorf("api has %d secret fields, want 2", secrets)
	}
}
