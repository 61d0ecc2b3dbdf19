package plan

import (
	"regexp"
	"strconv"

	"github.com/lightshuttle/lsctl/manifest"
)

// Postgres defaults (docs/spec/manifest.md §8, docs/spec/runtime.md §3.2).
const (
	defaultPostgresVersion = "16"
	defaultPostgresUser    = "postgres"
	defaultPostgresPort    = 5432
	defaultPostgresData    = "/var/lib/postgresql/data"
)

// databaseNameRule is the explicit database name grammar of docs/spec/manifest.md §8.
var databaseNameRule = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// buildPostgres fills a postgres node: env, port, volume, default healthcheck, outputs.
func (b *builder) buildPostgres(rs *resource, n *Node) {
	pg := rs.r.Postgres
	if pg == nil {
		pg = &manifest.Postgres{}
	}
	n.Spec.Image = b.kindImage(rs, pg.Version, pg.Image, "postgres", defaultPostgresVersion)
	database := rs.r.Name
	if pg.Database.Set {
		path := rs.base + ".database"
		v, ok := b.resolve(rs, path)
		database = v
		if rs.recheck(path, ok) && !databaseNameRule.MatchString(v) {
			b.errorAt("invalid-database-name", rs, path, rs.posOf(path),
				"invalid database name "+manifest.QuoteInput(v)+": must match ^[a-z][a-z0-9_]{0,62}$")
		}
	}
	user := defaultPostgresUser
	if pg.User.Set {
		user, _ = b.nonEmpty(rs, rs.base+".user")
	}
	password := b.postgresPassword(rs, pg)
	port := portOr(pg.Port, defaultPostgresPort)
	ps := strconv.Itoa(int(port))
	n.Spec.Env = []EnvVar{
		{Name: "POSTGRES_DB", Value: database},
		{Name: "POSTGRES_USER", Value: user},
		{Name: "POSTGRES_PASSWORD", Value: password, Secret: true},
		{Name: "PGPORT", Value: ps},
	}
	n.Spec.Ports = []PortBinding{loopbackPort(port)}
	n.Spec.Volumes = kindVolume(rs.r.Name, n.Spec.Project, pg.Volume, defaultPostgresData, "PGDATA")
	url := "postgres://" + manifest.EncodeCredential(user) + ":" + manifest.EncodeCredential(password) +
		"@" + rs.r.Name + ":" + ps + "/" + manifest.EncodeCredential(database)
	setOutputs(n, "host", rs.r.Name, "port", ps, "user", user, "password", password,
		"database", database, "url", url)
	n.SecretValues = []string{password, url}
	n.Health = b.health(rs, []string{"CMD", "pg_isready", "-h", "127.0.0.1", "-p", ps, "-U", user, "-d", database},
		port, nil, &NativeProbe{Protocol: ProbePostgres, Port: port, User: user, Database: database})
}

// postgresPassword is the resolved password, or the generated one when the field is
// omitted or resolves to empty (docs/spec/manifest.md §8): from the store, else the placeholder.
func (b *builder) postgresPassword(rs *resource, pg *manifest.Postgres) string {
	if pg.Password.Set {
		v, ok := b.resolve(rs, rs.base+".password")
		if v != "" || !ok {
			return v
		}
	}
	if b.o.NeedsGenerated != nil {
		b.o.NeedsGenerated(rs.r.Name)
	}
	if b.o.Secrets != nil {
		if p, ok := b.o.Secrets.Password(rs.r.Name); ok && p != "" {
			return p
		}
	}
	return PasswordPlaceholder
}

// portOr is the kind's port field, or its default.
func portOr(p manifest.Int, def uint16) uint16 {
	if p.Set && p.Value >= 1 && p.Value <= 65535 {
		return uint16(p.Value)
	}
	return def
}

// loopbackPort publishes a postgres/redis port on 127.0.0.1 at the same number.
func loopbackPort(port uint16) PortBinding {
	return PortBinding{HostIP: "127.0.0.1", HostPort: port, ContainerPort: port, RequestedHostPort: port}
}

// kindVolume is the postgres/redis `volume` field: the default volume unless false,
// or the named volume (docs/spec/runtime.md §3.2).
func kindVolume(resource, project string, v manifest.Volume, target, targetEnv string) []VolumeBinding {
	if v.Set && !v.Enabled {
		return nil
	}
	vb := VolumeBinding{Kind: VolumeNamed, Target: target, TargetFromImageEnv: targetEnv}
	if v.Set && v.Name != "" {
		vb.Source = v.Name
	} else {
		vb.Source = DefaultVolumeName(project, resource)
		vb.DefaultFor = resource
	}
	return []VolumeBinding{vb}
}
