package plan

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// docs/spec/runtime.md §3.1: argv table, env layers, user, working directory, stop signal.
func TestMergeProcessArgv(t *testing.T) {
	img := ImageConfig{Entrypoint: []string{"/entry"}, Cmd: []string{"serve"}}
	tests := []struct {
		name       string
		entry, cmd []string
		img        ImageConfig
		want       []string
		wantNoArgv bool
	}{
		{name: "both absent", img: img, want: []string{"/entry", "serve"}},
		{name: "command set", cmd: []string{"run", "x"}, img: img, want: []string{"/entry", "run", "x"}},
		{name: "entrypoint set discards CMD", entry: []string{"/bin/sh"}, img: img, want: []string{"/bin/sh"}},
		{name: "both set", entry: []string{"/bin/sh"}, cmd: []string{"-c", "x"}, img: img, want: []string{"/bin/sh", "-c", "x"}},
		{name: "cleared entrypoint alone", entry: []string{""}, img: img, wantNoArgv: true},
		{name: "cleared entrypoint with command", entry: []string{""}, cmd: []string{"echo"}, img: img, want: []string{"echo"}},
		{name: "image without command", img: ImageConfig{}, wantNoArgv: true},
		{name: "image CMD only", img: ImageConfig{Cmd: []string{"redis-server"}}, cmd: []string{"redis-server", "--port", "6380"},
			want: []string{"redis-server", "--port", "6380"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &ContainerSpec{Resource: "api", Entrypoint: tt.entry, Command: tt.cmd}
			p, err := MergeProcess(s, tt.img)
			if tt.wantNoArgv {
				if !errors.Is(err, ErrNoCommand) || err.Error() != `resource "api": no command to run: the image defines none and the manifest sets none` {
					t.Fatalf("err = %v, want ErrNoCommand", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(p.Args, tt.want) {
				t.Errorf("args = %q, %v; want %q", p.Args, err, tt.want)
			}
		})
	}
}

func TestMergeProcessEnvAndSettings(t *testing.T) {
	s := &ContainerSpec{Resource: "db", Hostname: "db", WorkingDir: "",
		Env: []EnvVar{{Name: "PGPORT", Value: "6543"}, {Name: "LANG", Value: "C"}, {Name: "POSTGRES_PASSWORD", Value: "pw", Secret: true}}}
	img := ImageConfig{Env: []string{"LANG=en_US.utf8", "PGDATA=/var/lib/postgresql/data", "HOSTNAME=img"},
		Cmd: []string{"postgres"}, User: "postgres", WorkingDir: "/srv", StopSignal: "INT"}
	p, err := MergeProcess(s, img)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"LANG=C", "PGDATA=/var/lib/postgresql/data", "HOSTNAME=db", defaultPath, "PGPORT=6543", "POSTGRES_PASSWORD=pw"}
	if !reflect.DeepEqual(p.Env, want) {
		t.Errorf("env = %q\nwant %q", p.Env, want)
	}
	if p.User != "postgres" || p.Cwd != "/srv" || p.StopSignal != "SIGINT" {
		t.Errorf("user %q cwd %q signal %q", p.User, p.Cwd, p.StopSignal)
	}
	p, _ = MergeProcess(&ContainerSpec{Resource: "x", WorkingDir: "/app"}, ImageConfig{Cmd: []string{"a"}, Env: []string{"PATH=/bin"}})
	if p.Cwd != "/app" || p.StopSignal != "SIGTERM" || !reflect.DeepEqual(p.Env, []string{"PATH=/bin", "HOSTNAME=x"}) {
		t.Errorf("cwd %q signal %q env %q", p.Cwd, p.StopSignal, p.Env)
	}
	p, _ = MergeProcess(&ContainerSpec{Resource: "x"}, ImageConfig{Cmd: []string{"a"}})
	if p.Cwd != "/" || p.User != "" {
		t.Errorf("defaults: cwd %q user %q", p.Cwd, p.User)
	}
}

func TestNormalizeSignal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "SIGTERM"}, {"SIGINT", "SIGINT"}, {"INT", "SIGINT"}, {"sigquit", "SIGQUIT"}, {"2", "SIGINT"},
		{"15", "SIGTERM"}, {" SIGUSR1 ", "SIGUSR1"}, {"SIGRTMIN+3", "SIGRTMIN+3"},
		{"SIGFOO", ""}, {"0", ""}, {"64", ""}, {"-1", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeSignal(tt.in)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("NormalizeSignal(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// docs/spec/runtime.md §4.3: what changes the hash and what does not.
func TestConfigHash(t *testing.T) {
	base := func() *ContainerSpec {
		return &ContainerSpec{Resource: "api", Kind: "container", Image: "docker.io/library/busybox:1", Hostname: "api",
			IP: netip.MustParseAddr("10.213.0.2"), HostsPath: "/d/hosts",
			Env:     []EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "2", Secret: true}},
			Ports:   []PortBinding{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, RequestedHostPort: 8080}},
			Volumes: []VolumeBinding{{Kind: VolumeNamed, Source: "v", Target: "/data", TargetFromImageEnv: "DATA"}},
			Labels:  map[string]string{LabelProject: "shop"}}
	}
	img := ImageConfig{Cmd: []string{"sh"}, DiffIDs: []string{"sha256:1"}}
	ref, err := ConfigHash(base(), img)
	if err != nil {
		t.Fatal(err)
	}
	same := []struct {
		name string
		edit func(*ContainerSpec, *ImageConfig)
	}{
		{"env order", func(s *ContainerSpec, _ *ImageConfig) { s.Env[0], s.Env[1] = s.Env[1], s.Env[0] }},
		{"rewritten host port", func(s *ContainerSpec, _ *ImageConfig) { s.Ports[0].HostPort = 40000 }},
		{"labels", func(s *ContainerSpec, _ *ImageConfig) { s.Labels["x"] = "y" }},
		{"healthcheck-only field of the image config", func(_ *ContainerSpec, i *ImageConfig) { i.StopSignal = "15" }},
		{"stop signal spelling", func(_ *ContainerSpec, i *ImageConfig) { i.StopSignal = "TERM" }},
	}
	for _, tt := range same {
		s, i := base(), img
		tt.edit(s, &i)
		if h, _ := ConfigHash(s, i); h != ref {
			t.Errorf("%s changed the hash", tt.name)
		}
	}
	differ := []struct {
		name string
		edit func(*ContainerSpec, *ImageConfig)
	}{
		{"secret value", func(s *ContainerSpec, _ *ImageConfig) { s.Env[1].Value = "3" }},
		{"layers", func(_ *ContainerSpec, i *ImageConfig) { i.DiffIDs = []string{"sha256:2"} }},
		{"image", func(s *ContainerSpec, _ *ImageConfig) { s.Image = "docker.io/library/busybox:2" }},
		{"requested port", func(s *ContainerSpec, _ *ImageConfig) { s.Ports[0].RequestedHostPort = 8081 }},
		{"ip", func(s *ContainerSpec, _ *ImageConfig) { s.IP = netip.MustParseAddr("10.213.0.3") }},
		{"volume target from image env", func(_ *ContainerSpec, i *ImageConfig) { i.Env = []string{"DATA=/other"} }},
		{"command", func(s *ContainerSpec, _ *ImageConfig) { s.Command = []string{"x"} }},
		{"user", func(_ *ContainerSpec, i *ImageConfig) { i.User = "nobody" }},
		{"hostname", func(s *ContainerSpec, _ *ImageConfig) { s.Hostname = "other" }},
		{"read-only volume", func(s *ContainerSpec, _ *ImageConfig) { s.Volumes[0].ReadOnly = true }}, // issue 12 item 7
	}
	for _, tt := range differ {
		s, i := base(), img
		tt.edit(s, &i)
		if h, _ := ConfigHash(s, i); h == ref {
			t.Errorf("%s did not change the hash", tt.name)
		}
	}
	if _, err := ConfigHash(&ContainerSpec{Resource: "x"}, ImageConfig{}); !errors.Is(err, ErrNoCommand) {
		t.Errorf("empty argv: err = %v", err)
	}
}

// Issue 12 item 7: a NUL byte that reaches the process (past validation, or from the
// image) is refused naming the variable, never the value, before runc could echo it.
func TestMergeProcessRefusesNUL(t *testing.T) {
	tests := []struct {
		s    ContainerSpec
		img  ImageConfig
		want string
	}{
		{ContainerSpec{Resource: "api", Env: []EnvVar{{Name: "TOKEN", Value: "s3cret\x00tail", Secret: true}}}, ImageConfig{Cmd: []string{"a"}},
			`resource "api": environment variable "TOKEN" contains a NUL byte`},
		{ContainerSpec{Resource: "api"}, ImageConfig{Cmd: []string{"a"}, Env: []string{"FROM_IMAGE=s3cret\x00"}},
			`resource "api": environment variable "FROM_IMAGE" contains a NUL byte`},
		{ContainerSpec{Resource: "api", Command: []string{"echo", "s3cret\x00"}}, ImageConfig{},
			`resource "api": argument 1 of the command contains a NUL byte`},
		{ContainerSpec{Resource: "api", WorkingDir: "/s3cret\x00"}, ImageConfig{Cmd: []string{"a"}},
			`resource "api": the working directory contains a NUL byte`},
	}
	for _, tt := range tests {
		_, err := MergeProcess(&tt.s, tt.img)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("MergeProcess: %v; want %q and no value", err, tt.want)
		}
	}
}
