package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

func ptr[T any](v T) *T { return &v }

// docs/spec/runtime.md §16.5 table and §17 item 65 header; item 20 "(requested N)".
func TestPSTable(t *testing.T) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	views := []actors.View{
		{Name: "db", Kind: "postgres", Status: "healthy", Image: "docker.io/library/postgres:16-alpine",
			Ports:     []plan.PortBinding{{HostIP: "127.0.0.1", HostPort: 5432, ContainerPort: 5432, RequestedHostPort: 5432}},
			StartedAt: ptr(now.Add(-3 * time.Minute))},
		{Name: "api", Kind: "container", Status: "running", Image: "registry.example.com/acme/api:1.4",
			Ports:     []plan.PortBinding{{HostIP: "127.0.0.1", HostPort: 40123, ContainerPort: 8080, RequestedHostPort: 8080}},
			StartedAt: ptr(now.Add(-50 * time.Hour))},
		{Name: "web", Kind: "dockerfile", Status: "exited", Image: "docker.io/lightshuttle/shop_web:dev", StartedAt: ptr(now)},
	}
	var b bytes.Buffer
	writePSTable(&b, views, map[string]string{"db": "s3cret"}, now)
	want := `NAME  KIND        STATUS   PORTS                                   IMAGE                              AGE
db    postgres    healthy  127.0.0.1:5432->5432                    postgres:16-alpine                 3m
api   container   running  127.0.0.1:40123->8080 (requested 8080)  registry.example.com/acme/api:1.4  2d
web   dockerfile  exited   -                                       lightshuttle/shop_web:dev          -

SECRETS
db password  s3cret
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestAge(t *testing.T) {
	now := time.Now()
	for d, want := range map[time.Duration]string{59 * time.Second: "59s", 61 * time.Second: "1m", 47 * time.Hour: "47h", 49 * time.Hour: "2d"} {
		v := actors.View{Status: "running", StartedAt: ptr(now.Add(-d))}
		if got := age(v, now); got != want {
			t.Errorf("age(%s) = %q, want %q", d, got, want)
		}
	}
}

// docs/spec/runtime.md §14: --json prints the views; secrets only with --show-secrets.
func TestPSJSON(t *testing.T) {
	views := []actors.View{{Name: "db", Kind: "postgres", Status: "stopped"}, {Name: "api", Kind: "container", Status: "stopped"}}
	for _, secrets := range []map[string]string{nil, {"db": "pw"}} {
		var b bytes.Buffer
		if err := writePSJSON(&b, views, secrets, ""); err != nil {
			t.Fatal(err)
		}
		var got []map[string]any
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatalf("%v\n%s", err, b.String())
		}
		if len(got) != 2 || got[0]["started_at"] != nil || got[0]["ports"] == nil {
			t.Errorf("views %v", got)
		}
		_, has := got[0]["secrets"]
		if has != (secrets != nil) || got[1]["secrets"] != nil {
			t.Errorf("secrets %v: %s", secrets, b.String())
		}
	}
}

// fakeProber fails the probes of the containers and addresses in exit.
type fakeProber struct{ exit map[string]int }

func (f fakeProber) Exec(_ context.Context, id string, _ containerdrt.ExecRequest) (containerdrt.ExecResult, error) {
	return containerdrt.ExecResult{ExitCode: f.exit[id]}, nil
}

func (f fakeProber) Probe(_ context.Context, ip string, _ plan.NativeProbe, _ time.Duration) (containerdrt.ExecResult, error) {
	return containerdrt.ExecResult{ExitCode: f.exit[ip]}, nil
}

// docs/spec/runtime.md §16.5, §11.5: every plan resource (no container => stopped), probes for
// running ones with a healthcheck, then orphans sorted by name.
func TestViewsFromContainers(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  db:\n    postgres: {}\n  cache:\n    redis: {}\n  api:\n    container: {image: 'a:1'}\n  web:\n    container: {image: 'w:1'}\n", nil)
	m, env, diags := manifest.Load(manifest.LoadOptions{File: path})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p, diags := plan.Build(m, plan.Options{Env: env})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	managed := []containerdrt.Managed{
		{ID: "shop_zz", Resource: "zz", Kind: "container", Running: true},
		{ID: "shop_db", Resource: "db", Kind: "postgres", Running: true, IP: "10.213.0.2", StartedAt: time.Now()},
		{ID: "shop_cache", Resource: "cache", Kind: "redis", Running: true, IP: "10.213.0.3"},
		{ID: "shop_api", Resource: "api", Kind: "container", Running: true},
		{ID: "shop_aa", Resource: "aa", Kind: "container"},
	}
	views := viewsFromContainers(context.Background(), fakeProber{exit: map[string]int{"10.213.0.3": 1}}, m, p, managed)
	var got []string
	for _, v := range views {
		got = append(got, v.Name+"="+string(v.Status))
	}
	want := "db=healthy cache=unhealthy api=running web=stopped aa=exited zz=running"
	if strings.Join(got, " ") != want {
		t.Errorf("views %v, want %s", got, want)
	}
	if views[0].IP == nil || *views[0].IP != "10.213.0.2" || views[0].Image != "docker.io/library/postgres:16-alpine" {
		t.Errorf("db view %+v", views[0])
	}
}
