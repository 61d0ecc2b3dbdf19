package plan

import (
	"strconv"

	"github.com/lightshuttle/lsctl/manifest"
)

// Redis defaults (manifest.md §9, runtime.md §3.3).
const (
	defaultRedisVersion = "7"
	defaultRedisPort    = 6379
	defaultRedisData    = "/data"
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
		n.Spec.Command = append(n.Spec.Command, "--requirepass", password)
		url = "redis://:" + manifest.EncodeCredential(password) + "@" + rs.r.Name + ":" + ps
		probeEnv = []EnvVar{{Name: "REDISCLI_AUTH", Value: password, Secret: true}}
		n.SecretValues = []string{password, url}
	}
	n.Spec.Ports = []PortBinding{loopbackPort(port)}
	n.Spec.Volumes = kindVolume(rs.r.Name, n.Spec.Project, rd.Volume, defaultRedisData, "")
	setOutputs(n, "host", rs.r.Name, "port", ps, "password", password, "url", url)
	test := []string{"CMD-SHELL", `test "$(redis-cli -h 127.0.0.1 -p ` + ps + ` ping)" = PONG`}
	n.Health = b.health(rs, test, port, probeEnv)
}

// kindImage is the image of a postgres or redis resource: `image` when set, else
// <name>:<version>-alpine, normalised (manifest.md §8-§9). A resolved value that does
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
