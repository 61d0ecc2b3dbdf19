package manifest

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// validator runs the phases after decoding (§26.1: 3 field grammars, 4 references, 6
// cross-resource, 7 filesystem). Each check skips input that an earlier check rejected,
// so one mistake yields one error.
type validator struct {
	*decoder
	m        *Manifest
	byName   map[string]*Resource
	reserved map[string]string // reserved-kind resource name -> kind
	// suggestions counts "did you mean" searches (see maxSuggestions).
	suggestions int
}

func (v *validator) run() {
	v.byName = map[string]*Resource{}
	v.reserved = map[string]string{}
	for _, r := range v.m.Resources {
		v.byName[r.Name] = r
	}
	for _, r := range v.m.Reserved {
		v.reserved[r.Name] = r.Kind
	}
	for _, r := range v.m.Resources {
		v.nulBytes(r)
		v.grammars(r)
		v.references(r)
	}
	v.crossResource()
	v.filesystem()
}

// base is the field path of a resource's kind configuration.
func base(r *Resource) string { return FieldPath("resources", r.Name, string(r.Kind)) }

// noEnv is an environment where every variable is unset.
func noEnv(string) (string, bool) { return "", false }

// literal returns the value of an interpolated field that contains no reference, so its
// grammar can be checked now; fields with references are re-checked by the plan once
// resolved (phase 5). ok is false for unset, unparsable or referencing fields.
func literal(s Str) (string, bool) {
	if !s.Set || HasNUL(s.Value) { // nulBytes reported it
		return "", false
	}
	if !strings.Contains(s.Value, "${") {
		return s.Value, true
	}
	t, err := ParseTemplate(s.Value)
	if err != nil || t.HasReferences() {
		return "", false
	}
	val, missing := t.Resolve(Resolver{Env: noEnv, Resource: func(string, string) (string, bool) { return "", false }})
	if len(missing) > 0 {
		return "", false
	}
	return val, true
}

// reason is the reason part of a grammar error: the grammars return the reason alone,
// except ParseDuration, whose *DurationError also carries the input.
func reason(err error) string {
	var de *DurationError
	if errors.As(err, &de) {
		return de.Reason()
	}
	return err.Error()
}

// grammars runs phase 3 on one resource.
func (v *validator) grammars(r *Resource) {
	p := base(r)
	switch {
	case r.Postgres != nil:
		v.postgres(r, p)
	case r.Redis != nil:
		v.redis(r, p)
	default:
		v.container(r, p)
	}
	if r.Restart.Set {
		switch r.Restart.Value {
		case "no", "on-failure", "always":
		default:
			v.errorf("invalid-restart", joinPath(p, "restart"), r.Name, r.Restart.Pos,
				"invalid restart policy %s: expected no, on-failure or always", quote(r.Restart.Value))
		}
	}
	if r.Healthcheck != nil {
		v.healthcheck(r, r.Healthcheck, joinPath(p, "healthcheck"))
	}
}

var databasePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

func (v *validator) postgres(r *Resource, p string) {
	pg := r.Postgres
	v.imageOrVersion(r, p, pg.Image, pg.Version, "postgres")
	if db, ok := literal(pg.Database); ok && !databasePattern.MatchString(db) {
		v.errorf("invalid-database-name", joinPath(p, "database"), r.Name, pg.Database.Pos,
			"invalid database name %s: must match ^[a-z][a-z0-9_]{0,62}$", quote(db))
	}
	if u, ok := literal(pg.User); ok && strings.TrimSpace(u) == "" {
		v.errorf("empty-value", joinPath(p, "user"), r.Name, pg.User.Pos, "must not be empty")
	}
	v.servicePort(r, p, pg.Port)
	v.serviceVolume(r, p, pg.Volume)
}

func (v *validator) redis(r *Resource, p string) {
	rd := r.Redis
	v.imageOrVersion(r, p, rd.Image, rd.Version, "redis")
	v.servicePort(r, p, rd.Port)
	v.serviceVolume(r, p, rd.Volume)
}

// imageOrVersion checks image, or, when it is absent, the image derived from version
// (reported on version, §8).
func (v *validator) imageOrVersion(r *Resource, p string, image, version Str, repo string) {
	if image.Set {
		v.image(r, joinPath(p, "image"), image)
		return
	}
	ver, ok := literal(version)
	if !ok {
		return
	}
	ref := repo + ":" + ver + "-alpine"
	if _, err := ParseImageRef(ref); err != nil {
		v.errorf("invalid-image", joinPath(p, "version"), r.Name, version.Pos,
			"invalid image reference %s: %s", quote(ref), reason(err))
	}
}

// image checks an image reference (§18): blank, grammar, untagged.
func (v *validator) image(r *Resource, path string, s Str) {
	ref, ok := literal(s)
	if !ok {
		return
	}
	if strings.TrimSpace(ref) == "" {
		v.errorf("empty-value", path, r.Name, s.Pos, "must not be empty")
		return
	}
	parsed, err := ParseImageRef(ref)
	if err != nil {
		v.errorf("invalid-image", path, r.Name, s.Pos, "invalid image reference %s: %s", quote(ref), reason(err))
		return
	}
	if parsed.Untagged() && parsed.Path != "" {
		v.warnf("untagged-image", path, r.Name, s.Pos, "image %s has no tag; \"latest\" is implied", quote(strings.TrimSpace(ref)))
	}
}

// servicePort checks the postgres/redis port range.
func (v *validator) servicePort(r *Resource, p string, port Int) {
	if port.Set && (port.Value < 1 || port.Value > 65535) {
		v.errorf("invalid-port", joinPath(p, "port"), r.Name, port.Pos,
			"invalid port mapping %s: port out of range 1-65535", quote(strconv.FormatInt(port.Value, 10)))
	}
}

// ambiguousNames are volume names that were probably meant as booleans (§15.4).
var ambiguousNames = []string{"yes", "no", "on", "off", "y", "n"}

// serviceVolume checks the string form of the postgres/redis volume field.
func (v *validator) serviceVolume(r *Resource, p string, vol Volume) {
	if !vol.Named {
		return
	}
	path := joinPath(p, "volume")
	if err := CheckVolumeName(vol.Name); err != nil {
		v.errorf("invalid-volume", path, r.Name, vol.Pos, "invalid volume mapping %s: %s", quote(vol.Name), reason(err))
		return
	}
	if contains(ambiguousNames, strings.ToLower(vol.Name)) {
		v.warnf("ambiguous-volume-name", path, r.Name, vol.Pos, "%s names a volume; write true or false for a boolean", quote(vol.Name))
	}
}
