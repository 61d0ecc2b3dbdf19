package plan

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lightshuttle/lsctl/manifest"
)

// Redis defaults (docs/spec/manifest.md §9, docs/spec/runtime.md §3.3).
const (
	defaultRedisVersion = "7"
	defaultRedisPort    = 6379
	defaultRedisData    = "/data"
	// redisAuthConfig is where the password reaches redis-server, as a config file
	// named first on its command line (which the official image's entrypoint keeps).
	redisAuthConfig = "/etc/lightshuttle/redis.conf"
)

// buildRedis fills a redis node: command, port, volume, default healthcheck, outputs.
func (b *builder) buildRedis(rs *resource, n *Node) {
	rd := rs.r.Redis
	if rd == nil {
		rd = &manifest.Redis{}
	}
	n.Spec.Image = b.kindImage(rs, rd.Version, rd.Image, "redis", defaultRedisVersion)
	password := ""
	if rd.Password.Set {
		password, _ = b.resolve(rs, rs.base+".password")
	}
	port := portOr(rd.Port, defaultRedisPort)
	ps := strconv.Itoa(int(port))
	n.Spec.Command = []string{"redis-server", "--port", ps}
	url := "redis://" + rs.r.Name + ":" + ps
	var probeEnv []EnvVar
	if password != "" {
		// A config file, not --requirepass: redis-server's argv is world-readable.
		conf := SecretFile{
			Source:  filepath.Join(ProjectDir(b.dataRoot, n.Spec.Project), "files", rs.r.Name, "redis.conf"),
			Target:  redisAuthConfig,
			Content: "requirepass " + redisQuote(password) + "\n",
			Argv:    []string{"--requirepass", password},
		}
		n.Spec.Files = append(n.Spec.Files, conf)
		n.Spec.Command = []string{"redis-server", conf.Target, "--port", ps}
		url = "redis://:" + manifest.EncodeCredential(password) + "@" + rs.r.Name + ":" + ps
		probeEnv = []EnvVar{{Name: "REDISCLI_AUTH", Value: password, Secret: true}}
		n.SecretValues = []string{password, url}
	}
	n.Spec.Ports = []PortBinding{loopbackPort(port)}
	n.Spec.Volumes = kindVolume(rs.r.Name, n.Spec.Project, rd.Volume, defaultRedisData, "")
	setOutputs(n, "host", rs.r.Name, "port", ps, "password", password, "url", url)
	test := []string{"CMD-SHELL", `test "$(redis-cli -h 127.0.0.1 -p ` + ps + ` ping)" = PONG`}
	n.Health = b.health(rs, test, port, probeEnv, &NativeProbe{Protocol: ProbeRedis, Port: port, Password: password})
}

// kindImage is the image of a postgres or redis resource: `image` when set, else
// <name>:<version>-alpine, normalised (docs/spec/manifest.md §8-§9). A resolved value that does
// not parse is reported on the field it came from.
func (b *builder) kindImage(rs *resource, version, image manifest.Str, name, defVersion string) string {
	if image.Set {
		return b.image(rs, rs.base+".image", true)
	}
	v := defVersion
	path := rs.base + ".version"
	ok := false
	if version.Set {
		v, ok = b.resolve(rs, path)
	}
	return b.checkImage(rs, path, name+":"+v+"-alpine", rs.recheck(path, ok), false)
}

// redisQuote quotes s for a redis.conf argument: a double-quoted string in which
// backslash and double quote are escaped and other bytes outside printable ASCII
// are written as \xHH, which redis's config parser reads back byte for byte.
func redisQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\x%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
