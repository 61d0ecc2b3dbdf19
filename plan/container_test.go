package plan

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// docs/spec/manifest.md §29 items 37, 41, 49 (as built by the plan) and §13.
func TestContainerSpec(t *testing.T) {
	yaml := manifestOf("shop", `
api:
  container:
    image: registry.example.com/acme/api:1.4
    ports: [8080, "9090:80", "0.0.0.0:9091:81"]
    env: {LOG: debug, "my.key": x}
    secrets: {TOKEN: t0ken}
    volumes: ["./config:/etc/api:ro", "cache:/var/cache/api:rw", "/srv/x:/x"]
    entrypoint: [""]
    command: "echo hi && sleep 5"
    working_dir: /app
    restart: on-failure
`)
	n := build(t, yaml, Options{}).Nodes[0]
	if n.Spec.Image != "registry.example.com/acme/api:1.4" {
		t.Errorf("image = %q", n.Spec.Image)
	}
	wantPorts := []PortBinding{
		{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 8080, RequestedHostPort: 8080},
		{HostIP: "127.0.0.1", HostPort: 9090, ContainerPort: 80, RequestedHostPort: 9090},
		{HostIP: "0.0.0.0", HostPort: 9091, ContainerPort: 81, RequestedHostPort: 9091},
	}
	if !reflect.DeepEqual(n.Spec.Ports, wantPorts) {
		t.Errorf("ports = %+v", n.Spec.Ports)
	}
	if n.Outputs["ports"] != "8080,80,81" || n.Outputs["host"] != "api" {
		t.Errorf("outputs = %v", n.Outputs)
	}
	wantEnv := []EnvVar{{Name: "LOG", Value: "debug"}, {Name: "my.key", Value: "x"}, {Name: "TOKEN", Value: "t0ken", Secret: true}}
	if !reflect.DeepEqual(n.Spec.Env, wantEnv) {
		t.Errorf("env = %+v", n.Spec.Env)
	}
	wantVols := []VolumeBinding{
		{Kind: VolumeBind, Source: "/p/config", Target: "/etc/api", ReadOnly: true, Within: "/p"},
		{Kind: VolumeNamed, Source: "cache", Target: "/var/cache/api"},
		{Kind: VolumeBind, Source: "/srv/x", Target: "/x"},
	}
	if !reflect.DeepEqual(n.Spec.Volumes, wantVols) {
		t.Errorf("volumes = %+v", n.Spec.Volumes)
	}
	if !reflect.DeepEqual(n.Spec.Entrypoint, []string{""}) {
		t.Errorf("entrypoint = %q, want [\"\"] kept", n.Spec.Entrypoint)
	}
	if !reflect.DeepEqual(n.Spec.Command, []string{"sh", "-c", "echo hi && sleep 5"}) {
		t.Errorf("command = %q", n.Spec.Command)
	}
	if n.Spec.WorkingDir != "/app" || n.Restart != RestartOnFailure || n.Health != nil {
		t.Errorf("working dir %q restart %q health %+v", n.Spec.WorkingDir, n.Restart, n.Health)
	}
	if !reflect.DeepEqual(n.SecretValues, []string{"t0ken"}) {
		t.Errorf("secret values = %q", n.SecretValues)
	}
}

// docs/spec/manifest.md §29 item 37 and §13: command forms.
func TestArgvForms(t *testing.T) {
	tests := []struct {
		name, fields string
		entry, cmd   []string
	}{
		{"absent", "", nil, nil},
		{"item37 empty command keeps the image CMD", "command: []", nil, nil},
		{"item37 string command", `command: "echo hi"`, nil, []string{"sh", "-c", "echo hi"}},
		{"list with empty element", `command: ["a", ""]`, nil, []string{"a", ""}},
		{"string entrypoint", `entrypoint: "exec app"`, []string{"sh", "-c", "exec app"}, nil},
		{"interpolated element", `command: ["${env.X:-dflt}", "$HOME"]`, nil, []string{"dflt", "$HOME"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := manifestOf("shop", "api:\n  container:\n    image: busybox:1\n"+indent(tt.fields, "    "))
			n := build(t, yaml, Options{}).Nodes[0]
			if !reflect.DeepEqual(n.Spec.Entrypoint, tt.entry) || !reflect.DeepEqual(n.Spec.Command, tt.cmd) {
				t.Errorf("entrypoint %q command %q, want %q %q", n.Spec.Entrypoint, n.Spec.Command, tt.entry, tt.cmd)
			}
		})
	}
}

// A container healthcheck: CMD runs test[1:], no TCP wait, no probe env.
func TestContainerHealthcheck(t *testing.T) {
	yaml := manifestOf("shop", `
api:
  container:
    image: busybox:1
    healthcheck:
      test: ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/healthz"]
      start_period: 10s
`)
	h := build(t, yaml, Options{}).Nodes[0].Health
	if h == nil || !reflect.DeepEqual(h.Argv, []string{"wget", "-qO-", "http://127.0.0.1:8080/healthz"}) ||
		h.TCPPort != 0 || h.Env != nil || h.StartPeriod.String() != "10s" || h.Interval.String() != "5s" {
		t.Errorf("health = %+v", h)
	}
	if d := h.Deadline(); d.String() != "50s" {
		t.Errorf("deadline = %v, want 10s + 5 x 8s", d)
	}
}

// Issue 15: zero interval, timeout and retries mean the defaults (Docker's meaning);
// compound durations are read exactly.
func TestHealthcheckZeroMeansDefault(t *testing.T) {
	yaml := manifestOf("shop", `
api:
  container:
    image: busybox:1
    healthcheck:
      test: ["CMD", "true"]
      interval: 0s
      timeout: 0ms
      retries: 0
      start_period: 1m30s
`)
	h := build(t, yaml, Options{}).Nodes[0].Health
	if h == nil || h.Interval != defaultInterval || h.Timeout != defaultTimeout || h.Retries != defaultRetries ||
		h.StartPeriod != 90*time.Second || h.StartInterval != defaultInterval {
		t.Errorf("health = %+v", h)
	}
}

// docs/spec/manifest.md §11, docs/spec/runtime.md §3.5: the dockerfile build spec and image name.
func TestDockerfileSpec(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"web/Dockerfile", "web/dev.Dockerfile"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte("FROM busybox\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, project, fields string
		want                  BuildSpec
		image                 string
	}{
		{name: "defaults", project: "shop", fields: "context: ./web",
			want:  BuildSpec{Context: dir + "/web", Dockerfile: dir + "/web/Dockerfile"},
			image: "docker.io/lightshuttle/shop_web:dev"},
		{name: "dockerfile relative to context, args, target", project: "shop",
			fields: "context: web\ndockerfile: dev.Dockerfile\ntarget: dev\nbuild_args: {B: \"2\", A: \"${env.A:-1}\"}",
			want: BuildSpec{Context: dir + "/web", Dockerfile: dir + "/web/dev.Dockerfile", Target: "dev",
				Args: []EnvVar{{Name: "B", Value: "2"}, {Name: "A", Value: "1"}}},
			image: "docker.io/lightshuttle/shop_web:dev"},
		{name: "unusual name is sanitised", project: "app-", fields: "context: " + dir + "/web",
			want:  BuildSpec{Context: dir + "/web", Dockerfile: dir + "/web/Dockerfile"},
			image: "docker.io/lightshuttle/app-web-" + fnvHex("app-_web") + ":dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := manifestOf(tt.project, "web:\n  dockerfile:\n"+indent(tt.fields, "    "))
			p, diags := Build(decode(t, dir, yaml), Options{})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			n := p.Nodes[0]
			if n.Spec.Build == nil || !reflect.DeepEqual(*n.Spec.Build, tt.want) {
				t.Errorf("build = %+v, want %+v", n.Spec.Build, tt.want)
			}
			if n.Spec.Image != tt.image {
				t.Errorf("image = %q, want %q", n.Spec.Image, tt.image)
			}
		})
	}
}

// Issue 15: a context that leaves the manifest directory once its references are
// resolved is accepted like one that stays inside, resolved against the manifest
// directory.
func TestDockerfileContextResolvedOutside(t *testing.T) {
	yaml := manifestOf("shop", "web:\n  dockerfile:\n    context: ${env.CTX}")
	for _, c := range []struct{ ctx, want string }{{"../elsewhere", "/elsewhere"}, {"/", "/"}, {"./web", "/p/web"}} {
		env := testEnv(map[string]string{"CTX": c.ctx})
		p, diags := buildDiags(t, yaml, Options{Env: env})
		if diags.HasErrors() || p == nil {
			t.Fatalf("context %q: diagnostics %v", c.ctx, codes(diags))
		}
		if got := p.Node("web").Spec.Build.Context; got != c.want {
			t.Errorf("context %q: resolved to %q, want %q", c.ctx, got, c.want)
		}
	}
}
