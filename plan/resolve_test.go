package plan

import (
	"reflect"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/manifest"
)

// docs/spec/manifest.md §29 items 56-59, docs/spec/runtime.md §17 items 6 and 10: outputs from resolved values.
func TestPostgresOutputs(t *testing.T) {
	tests := []struct {
		name, fields string
		env          map[string]string
		password     string
		url          string
	}{
		{name: "item56 percent-encoded url", fields: "user: app\npassword: p@ss:w/rd\ndatabase: shop",
			password: "p@ss:w/rd", url: "postgres://app:p%40ss%3Aw%2Frd@db:5432/shop"},
		{name: "item57 encodings", fields: "user: élève\npassword: 100%pure",
			password: "100%pure", url: "postgres://%C3%A9l%C3%A8ve:100%25pure@db:5432/db"},
		{name: "item58 runtime item6 port", fields: "port: 6543\npassword: pw",
			password: "pw", url: "postgres://postgres:pw@db:6543/db"},
		{name: "item59 password from env", fields: "password: ${env.DB_PWD}", env: map[string]string{"DB_PWD": "abc"},
			password: "abc", url: "postgres://postgres:abc@db:5432/db"},
		{name: "item72 substituted values are not re-scanned", fields: "password: ${env.DB_PWD}",
			env: map[string]string{"DB_PWD": "${env.X}"}, password: "${env.X}", url: "postgres://postgres:%24%7Benv.X%7D@db:5432/db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := manifestOf("shop", "db:\n  postgres:\n"+indent(tt.fields, "    ")+`
api:
  container:
    image: busybox:1
    depends_on: [db]
`)
			p := build(t, yaml, Options{Env: testEnv(tt.env), RequireEnv: true})
			db := node(t, p, "db")
			if db.Outputs["password"] != tt.password || db.Outputs["url"] != tt.url {
				t.Errorf("password %q url %q, want %q %q", db.Outputs["password"], db.Outputs["url"], tt.password, tt.url)
			}
			if got := envMap(db)["POSTGRES_PASSWORD"]; got.Value != tt.password || !got.Secret {
				t.Errorf("POSTGRES_PASSWORD = %+v", got)
			}
			api := envMap(node(t, p, "api"))
			if api["LSH_DB_PASSWORD"].Value != tt.password || api["LSH_DB_URL"].Value != tt.url ||
				!api["LSH_DB_PASSWORD"].Secret || !api["LSH_DB_URL"].Secret || api["LSH_DB_HOST"].Secret {
				t.Errorf("LSH vars = %+v", api)
			}
		})
	}
}

// docs/spec/manifest.md §29 item 26, docs/spec/runtime.md §17 item 4: generated passwords.
func TestGeneratedPassword(t *testing.T) {
	yaml := manifestOf("shop", "db: {postgres: {password: \"${env.DB_PWD:-}\"}}\nother: {postgres: {password: set}}")
	tests := []struct {
		name    string
		secrets SecretStore
		want    string
	}{
		{"no store: placeholder", nil, PasswordPlaceholder},
		{"store without entry: placeholder", fakeSecrets{}, PasswordPlaceholder},
		{"stored password", fakeSecrets{"db": "ZZZZZZZZZZZZZZZZZZZZZZZZ"}, "ZZZZZZZZZZZZZZZZZZZZZZZZ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var told []string
			p := build(t, yaml, Options{Secrets: tt.secrets, NeedsGenerated: func(r string) { told = append(told, r) }})
			if got := node(t, p, "db").Outputs["password"]; got != tt.want {
				t.Errorf("password = %q, want %q", got, tt.want)
			}
			if !reflect.DeepEqual(told, []string{"db"}) {
				t.Errorf("NeedsGenerated told %q, want [db] (other has an explicit password)", told)
			}
		})
	}
}

// docs/spec/manifest.md §29 items 60, 63, 64 and §25: env resolution and missing-env.
func TestEnvResolution(t *testing.T) {
	tests := []struct {
		name, value string
		env         map[string]string
		want        string
		missing     string // expected missing-env message part, "" for none
	}{
		{name: "item60 unset uses default", value: "${env.LOG:-info}", want: "info"},
		{name: "item60 empty uses default", value: "${env.LOG:-info}", env: map[string]string{"LOG": ""}, want: "info"},
		{name: "item60 set", value: "${env.LOG:-info}", env: map[string]string{"LOG": "debug"}, want: "debug"},
		{name: "item63 inner default not required", value: "${env.A:-${env.B}}", env: map[string]string{"A": "1"}, want: "1"},
		{name: "item64 only the reached variable is missing", value: "${env.A:-${env.B}}",
			missing: "missing required environment variable(s): B (set them in /p/.env, in the environment, or pass --env-file)"},
		{name: "all missing named, sorted", value: "${env.Z}-${env.A}-${env.Z}",
			missing: "missing required environment variable(s): A, Z (set them in /p/.env,"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := manifestOf("shop", "api:\n  container:\n    image: busybox:1\n    env:\n      V: \""+tt.value+"\"\n")
			p, diags := buildDiags(t, yaml, Options{Env: testEnv(tt.env), RequireEnv: true})
			if tt.missing != "" {
				if len(diags) != 1 || diags[0].Code != "missing-env" || !strings.HasPrefix(diags[0].Message, tt.missing) ||
					!diags[0].Pos.IsZero() || p != nil {
					t.Fatalf("diags = %v, want one missing-env starting %q", diags, tt.missing)
				}
				// validate tolerates unset variables (docs/spec/manifest.md §26.2).
				if _, diags := buildDiags(t, yaml, Options{Env: testEnv(tt.env)}); len(diags) != 0 {
					t.Errorf("without RequireEnv: %v", diags)
				}
				return
			}
			if len(diags) != 0 {
				t.Fatalf("diags = %v", diags)
			}
			if got := envMap(node(t, p, "api"))["V"].Value; got != tt.want {
				t.Errorf("V = %q, want %q", got, tt.want)
			}
		})
	}
}

// docs/spec/manifest.md §29 items 74-75, §22.1 order, §28 worked example.
func TestMergedDependencies(t *testing.T) {
	yaml := manifestOf("shop", `
cache: {redis: {}}
db: {postgres: {user: app, password: "${env.DB_PASSWORD:-}"}}
api:
  container:
    image: registry.example.com/acme/api:1.4
    env: {LOG_LEVEL: "${env.LOG_LEVEL:-info}"}
    secrets: {DATABASE_URL: "${resources.db.url}", REDIS_URL: "${resources.cache.url}"}
web:
  container:
    image: busybox:1
    depends_on: [api]
    env: {API_URL: "http://${resources.api.host}:8080"}
x:
  container:
    image: busybox:1
    env: {H: "${env.X:-${resources.db.host}}"}
    command: ["${resources.cache.host}", "${resources.web.host}"]
    depends_on: [web]
`)
	p := build(t, yaml, Options{Env: testEnv(map[string]string{"DB_PASSWORD": "hunter2hunter2", "X": "set"})})
	want := map[string][]string{
		"cache": nil, "db": nil,
		"api": {"db", "cache"},        // item 74: implicit, first-occurrence order
		"web": {"api"},                // item 74: explicit and implicit merge to one
		"x":   {"web", "db", "cache"}, // item 75: a default's reference counts even when X is set
	}
	for name, deps := range want {
		n := node(t, p, name)
		if !reflect.DeepEqual(n.DependsOn, deps) {
			t.Errorf("%s depends on %q, want %q", name, n.DependsOn, deps)
		}
		if got := n.Spec.Labels[LabelDependsOn]; got != strings.Join(deps, ",") {
			t.Errorf("%s depends-on label %q", name, got)
		}
	}
	if !reflect.DeepEqual(p.Order, []string{"cache", "db", "api", "web", "x"}) {
		t.Errorf("order = %q", p.Order)
	}
	if got := envMap(node(t, p, "x"))["H"].Value; got != "set" {
		t.Errorf("x H = %q", got)
	}
	if got := p.Dependents("db"); !reflect.DeepEqual(got, []string{"api", "x"}) {
		t.Errorf("Dependents(db) = %q", got)
	}
	// §28: api environment, before image defaults.
	api := node(t, p, "api")
	wantNames := []string{"LOG_LEVEL", "DATABASE_URL", "REDIS_URL",
		"LSH_DB_HOST", "LSH_DB_PORT", "LSH_DB_USER", "LSH_DB_PASSWORD", "LSH_DB_DATABASE", "LSH_DB_URL",
		"LSH_CACHE_HOST", "LSH_CACHE_PORT", "LSH_CACHE_PASSWORD", "LSH_CACHE_URL"}
	if !reflect.DeepEqual(envNames(api), wantNames) {
		t.Errorf("api env names = %q", envNames(api))
	}
	e := envMap(api)
	if e["DATABASE_URL"].Value != "postgres://app:hunter2hunter2@db:5432/db" || !e["DATABASE_URL"].Secret ||
		e["REDIS_URL"].Value != "redis://cache:6379" || e["LOG_LEVEL"].Value != "info" || e["LSH_CACHE_PASSWORD"].Value != "" {
		t.Errorf("api env = %+v", api.Spec.Env)
	}
	web := envMap(node(t, p, "web"))
	if web["API_URL"].Value != "http://api:8080" || web["LSH_API_HOST"].Value != "api" || web["LSH_API_PORTS"].Value != "" {
		t.Errorf("web env = %+v", web)
	}
}

// docs/spec/runtime.md §17 item 10: a url with an env password, no ${ left.
func TestURLFromEnvPassword(t *testing.T) {
	yaml := manifestOf("shop", `
db: {postgres: {password: "${env.DB_PWD}"}}
api:
  container:
    image: busybox:1
    env: {DATABASE_URL: "${resources.db.url}"}
`)
	p := build(t, yaml, Options{Env: testEnv(map[string]string{"DB_PWD": "x"}), RequireEnv: true})
	if got := envMap(node(t, p, "api"))["DATABASE_URL"].Value; got != "postgres://postgres:x@db:5432/db" {
		t.Errorf("DATABASE_URL = %q", got)
	}
}

// docs/spec/manifest.md §29 items 80-82 and §23.
func TestLSHInjection(t *testing.T) {
	yaml := manifestOf("shop", `
api-db: {postgres: {}}
db: {postgres: {password: pw}}
a-b: {container: {image: "busybox:1"}}
a_b: {container: {image: "busybox:1", ports: [8080]}}
api:
  container:
    image: busybox:1
    depends_on: [api-db, db, a_b, a-b]
    env: {LSH_DB_HOST: custom}
    secrets: {LSH_DB_URL: mine}
`)
	p, diags := buildDiags(t, yaml, Options{Secrets: fakeSecrets{"api-db": "GENERATEDGENERATEDGENERA"}})
	if p == nil {
		t.Fatal(diags.Error())
	}
	e := envMap(node(t, p, "api"))
	want := map[string]string{ // item 80
		"LSH_API_DB_HOST": "api-db", "LSH_API_DB_PORT": "5432", "LSH_API_DB_DATABASE": "api-db",
		"LSH_API_DB_USER": "postgres", "LSH_API_DB_PASSWORD": "GENERATEDGENERATEDGENERA",
		"LSH_API_DB_URL": "postgres://postgres:GENERATEDGENERATEDGENERA@api-db:5432/api-db",
		"LSH_DB_HOST":    "custom", "LSH_DB_URL": "mine", // item 81: the user's value wins
		"LSH_A_B_PORTS": "8080", // item 82: a_b comes first in the merged list
	}
	for k, v := range want {
		if e[k].Value != v {
			t.Errorf("%s = %q, want %q", k, e[k].Value, v)
		}
	}
	count := 0
	for _, v := range node(t, p, "api").Spec.Env {
		if v.Name == "LSH_DB_HOST" || v.Name == "LSH_DB_URL" || v.Name == "LSH_A_B_HOST" {
			count++
		}
	}
	if count != 3 {
		t.Errorf("declared or colliding keys injected again (%d entries)", count)
	}
	if len(diags) != 1 || diags[0].Code != "lsh-collision" || diags[0].Severity != "warning" ||
		diags[0].Message != `resources.api: dependencies "a_b" and "a-b" both map to LSH_A_B_*; values from "a_b" are used` {
		t.Errorf("diags = %v, want one lsh-collision warning", diags)
	}
}

// docs/spec/manifest.md §29 items 61-62 with the loader's Env: the dotenv file wins, and an empty
// dotenv entry hides the process environment.
func TestDotenvPrecedence(t *testing.T) {
	process := func(n string) (string, bool) {
		if n == "API" {
			return "from-shell", true
		}
		return "", false
	}
	yaml := manifestOf("shop", `api: {container: {image: "x:1", env: {V: "${env.API}"}}}`)
	env := manifest.NewEnv("/p/.env", map[string]string{"API": "from-file"}, process)
	p := build(t, yaml, Options{Env: env, RequireEnv: true})
	if got := envMap(p.Nodes[0])["V"].Value; got != "from-file" { // item 61
		t.Errorf("V = %q, want from-file", got)
	}
	env = manifest.NewEnv("/other/dir/custom.env", map[string]string{"API": ""}, process)
	_, diags := buildDiags(t, yaml, Options{Env: env, RequireEnv: true}) // item 62
	want := "missing required environment variable(s): API (set them in /other/dir/custom.env, in the environment, or pass --env-file)"
	if len(diags) != 1 || diags[0].Message != want {
		t.Errorf("diags = %v, want %q", diags, want)
	}
}
