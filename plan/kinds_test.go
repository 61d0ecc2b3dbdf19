package plan

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/manifest"
)

// docs/spec/manifest.md §29 items 20-22, 24, 27: postgres images, names and volumes.
func TestPostgresDefaults(t *testing.T) {
	tests := []struct {
		name, yaml                  string
		image, db, user, volume     string
		volumeTarget, volumeFromEnv string
		noVolume                    bool
	}{
		{name: "item20 all defaults", yaml: "db: {postgres: }",
			image: "docker.io/library/postgres:16-alpine", db: "db", user: "postgres", volume: "shop_db_data",
			volumeTarget: "/var/lib/postgresql/data", volumeFromEnv: "PGDATA"},
		{name: "item21 integer version", yaml: "db: {postgres: {version: 15}}",
			image: "docker.io/library/postgres:15-alpine", db: "db", user: "postgres", volume: "shop_db_data",
			volumeTarget: "/var/lib/postgresql/data", volumeFromEnv: "PGDATA"},
		{name: "item22 image wins over version", yaml: "db: {postgres: {image: \"postgres:17\", version: \"15\"}}",
			image: "docker.io/library/postgres:17", db: "db", user: "postgres", volume: "shop_db_data",
			volumeTarget: "/var/lib/postgresql/data", volumeFromEnv: "PGDATA"},
		{name: "item24 database defaults to resource name", yaml: "api-db: {postgres: {user: app}}",
			image: "docker.io/library/postgres:16-alpine", db: "api-db", user: "app", volume: "shop_api-db_data",
			volumeTarget: "/var/lib/postgresql/data", volumeFromEnv: "PGDATA"},
		{name: "item27 volume false", yaml: "db: {postgres: {volume: false}}",
			image: "docker.io/library/postgres:16-alpine", db: "db", user: "postgres", noVolume: true},
		{name: "item27 named volume", yaml: "db: {postgres: {volume: pgdata}}",
			image: "docker.io/library/postgres:16-alpine", db: "db", user: "postgres", volume: "pgdata",
			volumeTarget: "/var/lib/postgresql/data", volumeFromEnv: "PGDATA"},
		{name: "item27 volume yes is a name", yaml: "db: {postgres: {volume: yes}}",
			image: "docker.io/library/postgres:16-alpine", db: "db", user: "postgres", volume: "yes",
			volumeTarget: "/var/lib/postgresql/data", volumeFromEnv: "PGDATA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := build(t, manifestOf("shop", tt.yaml), Options{})
			n := p.Nodes[0]
			if n.Spec.Image != tt.image {
				t.Errorf("image = %q, want %q", n.Spec.Image, tt.image)
			}
			if n.Outputs["database"] != tt.db || n.Outputs["user"] != tt.user || n.Outputs["port"] != "5432" {
				t.Errorf("outputs = %v, want database %q user %q port 5432", n.Outputs, tt.db, tt.user)
			}
			if tt.noVolume {
				if len(n.Spec.Volumes) != 0 {
					t.Errorf("volumes = %+v, want none", n.Spec.Volumes)
				}
				return
			}
			want := VolumeBinding{Kind: VolumeNamed, Source: tt.volume, Target: tt.volumeTarget, TargetFromImageEnv: tt.volumeFromEnv}
			if tt.volume == "shop_"+n.Name+"_data" {
				want.DefaultFor = n.Name
			}
			if !reflect.DeepEqual(n.Spec.Volumes, []VolumeBinding{want}) {
				t.Errorf("volumes = %+v, want %+v", n.Spec.Volumes, want)
			}
		})
	}
}

// docs/spec/runtime.md §17 items 1 and 4: container id, labels and the kind environment.
func TestPostgresSpec(t *testing.T) {
	store := fakeSecrets{"db": "ABCDEFGHJKLMNPQRSTUVWXYZ"}
	p := build(t, manifestOf("shop", "db: {postgres: {}}"), Options{Secrets: store, DataRoot: "/d"})
	n := p.Nodes[0]
	if n.Spec.ID != "shop_db" {
		t.Errorf("ID = %q, want shop_db", n.Spec.ID)
	}
	wantLabels := map[string]string{LabelProject: "shop", LabelResource: "db", LabelKind: "postgres", LabelDependsOn: ""}
	if !reflect.DeepEqual(n.Spec.Labels, wantLabels) {
		t.Errorf("labels = %v, want %v", n.Spec.Labels, wantLabels)
	}
	wantEnv := []EnvVar{
		{Name: "POSTGRES_DB", Value: "db"},
		{Name: "POSTGRES_USER", Value: "postgres"},
		{Name: "POSTGRES_PASSWORD", Value: "ABCDEFGHJKLMNPQRSTUVWXYZ", Secret: true},
		{Name: "PGPORT", Value: "5432"},
	}
	if !reflect.DeepEqual(n.Spec.Env, wantEnv) {
		t.Errorf("env = %+v, want %+v", n.Spec.Env, wantEnv)
	}
	if want := []PortBinding{{HostIP: "127.0.0.1", HostPort: 5432, ContainerPort: 5432, RequestedHostPort: 5432}}; !reflect.DeepEqual(n.Spec.Ports, want) {
		t.Errorf("ports = %+v, want %+v", n.Spec.Ports, want)
	}
	if n.Spec.Command != nil || n.Spec.Entrypoint != nil {
		t.Errorf("postgres keeps the image command, got entrypoint %q command %q", n.Spec.Entrypoint, n.Spec.Command)
	}
	if n.Spec.Hostname != "db" || n.Spec.HostsPath != "/d/projects/shop/hosts" ||
		n.Spec.ResolvConfPath != "/d/projects/shop/resolv.conf" || n.Spec.HostnamePath != "/d/projects/shop/hostname/db" ||
		n.Spec.LogPath != "/d/projects/shop/logs/db.log" {
		t.Errorf("hostname/paths = %q %q %q %q %q", n.Spec.Hostname, n.Spec.HostsPath, n.Spec.ResolvConfPath, n.Spec.HostnamePath, n.Spec.LogPath)
	}
	if n.Restart != RestartNo {
		t.Errorf("restart = %q, want no", n.Restart)
	}
	img := ImageConfig{Entrypoint: []string{"docker-entrypoint.sh"}, Cmd: []string{"postgres"}, DiffIDs: []string{"sha256:aa"}}
	h, err := ConfigHash(&n.Spec, img)
	if err != nil || len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Errorf("ConfigHash = %q, %v; want 64 lowercase hex", h, err)
	}
}

// docs/spec/manifest.md §29 item 28 and §16 defaults; docs/spec/runtime.md §17 item 6 (probe -p).
func TestPostgresHealthcheck(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       *Healthcheck
	}{
		{name: "default", yaml: "db: {postgres: {}}", want: &Healthcheck{
			Test:     []string{"CMD", "pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d", "db"},
			Argv:     []string{"pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d", "db"},
			Interval: 5 * time.Second, Timeout: 3 * time.Second, Retries: 5, StartPeriod: 5 * time.Second,
			StartInterval: 5 * time.Second, TCPPort: 5432,
			Native: &NativeProbe{Protocol: ProbePostgres, Port: 5432, User: "postgres", Database: "db"}}},
		{name: "item28 partial override keeps the test", yaml: "db: {postgres: {port: 6543, user: app, database: shop, healthcheck: {interval: 1s}}}",
			want: &Healthcheck{
				Test:     []string{"CMD", "pg_isready", "-h", "127.0.0.1", "-p", "6543", "-U", "app", "-d", "shop"},
				Argv:     []string{"pg_isready", "-h", "127.0.0.1", "-p", "6543", "-U", "app", "-d", "shop"},
				Interval: time.Second, Timeout: 3 * time.Second, Retries: 5, StartPeriod: 5 * time.Second,
				StartInterval: time.Second, TCPPort: 6543,
				Native: &NativeProbe{Protocol: ProbePostgres, Port: 6543, User: "app", Database: "shop"}}},
		{name: "own test, own timings", yaml: "db: {postgres: {healthcheck: {test: [CMD-SHELL, pg_isready, -q], retries: 2, start_interval: 100ms, start_period: 0s, timeout: 1s}}}",
			want: &Healthcheck{
				Test:     []string{"CMD-SHELL", "pg_isready", "-q"},
				Argv:     []string{"/bin/sh", "-c", "pg_isready -q"},
				Interval: 5 * time.Second, Timeout: time.Second, Retries: 2, StartPeriod: 0,
				StartInterval: 100 * time.Millisecond}},
		{name: "NONE disables the default", yaml: "db: {postgres: {healthcheck: {test: [NONE]}}}", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := build(t, manifestOf("shop", tt.yaml), Options{}).Nodes[0]
			if !reflect.DeepEqual(n.Health, tt.want) {
				t.Errorf("health =\n%+v\nwant\n%+v", n.Health, tt.want)
			}
		})
	}
}

// docs/spec/manifest.md §29 items 29-30; docs/spec/runtime.md §17 item 7.
func TestRedis(t *testing.T) {
	tests := []struct {
		name, yaml   string
		image, url   string
		command      []string
		probeEnv     []EnvVar
		test         []string
		port         uint16
		secretValues int
	}{
		{name: "item29 defaults", yaml: "cache: {redis: }", image: "docker.io/library/redis:7-alpine",
			url: "redis://cache:6379", command: []string{"redis-server", "--port", "6379"}, port: 6379,
			test: []string{"CMD-SHELL", `test "$(redis-cli -h 127.0.0.1 -p 6379 ping)" = PONG`}},
		{name: "item30 password", yaml: "cache: {redis: {password: s3cret}}", image: "docker.io/library/redis:7-alpine",
			url: "redis://:s3cret@cache:6379", command: []string{"redis-server", "/etc/lightshuttle/redis.conf", "--port", "6379"},
			probeEnv: []EnvVar{{Name: "REDISCLI_AUTH", Value: "s3cret", Secret: true}}, port: 6379, secretValues: 2,
			test: []string{"CMD-SHELL", `test "$(redis-cli -h 127.0.0.1 -p 6379 ping)" = PONG`}},
		{name: "runtime item7 port and password", yaml: "cache: {redis: {port: 6380, password: pw, version: \"6.2\"}}",
			image: "docker.io/library/redis:6.2-alpine", url: "redis://:pw@cache:6380",
			command:  []string{"redis-server", "/etc/lightshuttle/redis.conf", "--port", "6380"},
			probeEnv: []EnvVar{{Name: "REDISCLI_AUTH", Value: "pw", Secret: true}}, port: 6380, secretValues: 2,
			test: []string{"CMD-SHELL", `test "$(redis-cli -h 127.0.0.1 -p 6380 ping)" = PONG`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := build(t, manifestOf("shop", tt.yaml), Options{}).Nodes[0]
			if n.Spec.Image != tt.image || n.Outputs["url"] != tt.url {
				t.Errorf("image %q url %q, want %q %q", n.Spec.Image, n.Outputs["url"], tt.image, tt.url)
			}
			if !reflect.DeepEqual(n.Spec.Command, tt.command) {
				t.Errorf("command = %q, want %q", n.Spec.Command, tt.command)
			}
			if pw := n.Outputs["password"]; pw != "" {
				// Issue 12: the password is in a file, never in redis-server's argv.
				if len(n.Spec.Files) != 1 || n.Spec.Files[0].Content != "requirepass \""+pw+"\"\n" ||
					n.Spec.Files[0].Target != "/etc/lightshuttle/redis.conf" || !strings.HasSuffix(n.Spec.Files[0].Source, "/projects/shop/files/cache/redis.conf") {
					t.Errorf("files = %+v", n.Spec.Files)
				}
				if strings.Contains(strings.Join(n.Spec.Command, " "), pw) {
					t.Errorf("the password is in the command %q", n.Spec.Command)
				}
				if want := append(slices.Delete(slices.Clone(tt.command), 1, 2), "--requirepass", pw); !reflect.DeepEqual(n.Spec.InlineCommand(), want) {
					t.Errorf("inline command = %q, want %q", n.Spec.InlineCommand(), want)
				}
			}
			if n.Health == nil || !reflect.DeepEqual(n.Health.Test, tt.test) || !reflect.DeepEqual(n.Health.Env, tt.probeEnv) ||
				n.Health.TCPPort != tt.port {
				t.Fatalf("health = %+v, want test %q env %+v tcp %d", n.Health, tt.test, tt.probeEnv, tt.port)
			}
			native := &NativeProbe{Protocol: ProbeRedis, Port: tt.port, Password: n.Outputs["password"]}
			if !reflect.DeepEqual(n.Health.Native, native) {
				t.Errorf("native probe = %+v, want %+v", n.Health.Native, native)
			}
			if want := []string{"/bin/sh", "-c", tt.test[1]}; !reflect.DeepEqual(n.Health.Argv, want) {
				t.Errorf("probe argv = %q, want %q", n.Health.Argv, want)
			}
			if len(n.Spec.Env) != 0 {
				t.Errorf("redis env = %+v, want none (REDISCLI_AUTH is probe-only)", n.Spec.Env)
			}
			wantOut := []string{"host", "port", "password", "url"}
			if !reflect.DeepEqual(n.OutputNames, wantOut) || n.Outputs["port"] != strconv.Itoa(int(tt.port)) {
				t.Errorf("outputs %v %v", n.OutputNames, n.Outputs)
			}
			if len(n.SecretValues) != tt.secretValues {
				t.Errorf("secret values = %d, want %d", len(n.SecretValues), tt.secretValues)
			}
			want := []VolumeBinding{{Kind: VolumeNamed, Source: "shop_cache_data", Target: "/data", DefaultFor: "cache"}}
			if !reflect.DeepEqual(n.Spec.Volumes, want) {
				t.Errorf("volumes = %+v", n.Spec.Volumes)
			}
		})
	}
}

// docs/spec/runtime.md §17 item 6, docs/spec/manifest.md §29 item 58: a custom postgres port everywhere.
func TestPostgresPort(t *testing.T) {
	n := build(t, manifestOf("shop", "db: {postgres: {port: 6543}}"), Options{Secrets: fakeSecrets{"db": "pw"}}).Nodes[0]
	if envMap(n)["PGPORT"].Value != "6543" {
		t.Errorf("PGPORT = %q", envMap(n)["PGPORT"].Value)
	}
	if want := []PortBinding{{HostIP: "127.0.0.1", HostPort: 6543, ContainerPort: 6543, RequestedHostPort: 6543}}; !reflect.DeepEqual(n.Spec.Ports, want) {
		t.Errorf("ports = %+v", n.Spec.Ports)
	}
	if !strings.HasSuffix(n.Outputs["url"], "@db:6543/db") || n.Outputs["port"] != "6543" {
		t.Errorf("outputs = %v", n.Outputs)
	}
	if n.Health == nil || n.Health.TCPPort != 6543 || !reflect.DeepEqual(n.Health.Argv[3:5], []string{"-p", "6543"}) {
		t.Errorf("health = %+v", n.Health)
	}
}

// Outputs are listed in the order manifest.Properties gives (docs/spec/manifest.md §12), so
// LSH_* variables and views agree with unknown-property messages.
func TestOutputNamesMatchProperties(t *testing.T) {
	p := build(t, manifestOf("shop", "db: {postgres: }\ncache: {redis: }\napi: {container: {image: \"x:1\"}}"), Options{})
	for _, n := range p.Nodes {
		if want := manifest.Properties(n.Kind); !reflect.DeepEqual(n.OutputNames, want) {
			t.Errorf("%s outputs %q, want %q", n.Kind, n.OutputNames, want)
		}
		if len(n.Outputs) != len(n.OutputNames) {
			t.Errorf("%s: %d outputs for %d names", n.Name, len(n.Outputs), len(n.OutputNames))
		}
	}
}

// redis.conf arguments are double-quoted with escapes, so any password reads back as
// itself (issue 12).
func TestRedisQuote(t *testing.T) {
	for in, want := range map[string]string{
		"s3cret":        `"s3cret"`,
		`a "b" c`:       `"a \"b\" c"`,
		`back\slash`:    `"back\\slash"`,
		"tab\there\n":   `"tab\x09here\x0a"`,
		"caf\u00e9 # x": `"caf\xc3\xa9 # x"`,
	} {
		if got := redisQuote(in); got != want {
			t.Errorf("redisQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
