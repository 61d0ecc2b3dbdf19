package manifest

import "gopkg.in/yaml.v3"

// Pos is a 1-based line:column location in the manifest file (columns in characters).
// The zero Pos means "no location".
type Pos struct{ Line, Column int }

// IsZero reports whether p carries no location.
func (p Pos) IsZero() bool { return p.Line == 0 }

// Kind is a resource kind.
type Kind string

// The four kinds lsctl runs.
const (
	KindPostgres   Kind = "postgres"
	KindRedis      Kind = "redis"
	KindContainer  Kind = "container"
	KindDockerfile Kind = "dockerfile"
)

// Str is a scalar string field as written: Set is false when the field is absent or null.
type Str struct {
	Value string
	Pos   Pos
	Set   bool
}

// Int is an integer field as written.
type Int struct {
	Value int64
	Pos   Pos
	Set   bool
}

// Bool is a boolean field as written.
type Bool struct {
	Value bool
	Pos   Pos
	Set   bool
}

// Manifest is a decoded and validated lightshuttle.yml. Every field keeps its source
// position so later stages (plan) can report diagnostics at the right place.
type Manifest struct {
	File string // path as shown in diagnostics (the --file value, or relative to the CWD)
	Path string // path used to open the file
	Dir  string // manifest directory (lexical, symlinks not resolved)

	Version   Str
	Project   Project
	Resources []*Resource // declaration order; reserved kinds excluded
	// ResourcesPos is the position of the `resources` key (manifest-wide resource errors).
	ResourcesPos Pos
	Reserved     []Reserved // reserved-kind resources, kept only to reject references to them
	Dashboard    *Dashboard

	// Otel is observability.otel (nil when absent); Observability and Export are
	// also kept as written, for `lsctl manifest` and `lsctl export`.
	Otel          *Otel
	Observability *yaml.Node
	Export        *Export
	ExportNode    *yaml.Node
}

// Project is the project section.
type Project struct {
	Name        Str
	Version     Str
	Description Str
	Pos         Pos
}

// Otel is observability.otel (§5.2).
type Otel struct {
	Enabled  Bool // OpenTelemetry wiring; on unless explicitly false
	Endpoint Str  // external OTLP/HTTP collector that receives a copy of everything
	Buffer   Int  // spans, log records and metric points kept per signal
}

// Bounds of observability.otel.buffer (§5.2).
const (
	MinOTelBuffer = 16
	MaxOTelBuffer = 100000
)

// OTelEnabled reports whether the manifest leaves OpenTelemetry on: it is unless
// observability.otel.enabled is false.
func (m *Manifest) OTelEnabled() bool {
	return m.Otel == nil || !m.Otel.Enabled.Set || m.Otel.Enabled.Value
}

// Dashboard is the optional dashboard section.
type Dashboard struct{ Port Int }

// Reserved is a resource of a reserved kind (mysql, mariadb, ...): never run.
type Reserved struct {
	Name string
	Kind string
	Pos  Pos
}

// Resource is one entry of the resources section.
type Resource struct {
	Name    string
	Pos     Pos // position of the resource key
	Kind    Kind
	KindPos Pos // position of the kind key
	// ConfigPos is the position of the kind configuration mapping (the kind key when the
	// configuration is null): where missing-field errors about it are reported.
	ConfigPos Pos

	DependsOn   []Str // as written, duplicates removed
	Restart     Str   // "no" when unset (filled by validation)
	Healthcheck *Healthcheck

	// Exactly one of these is set, according to Kind. A dockerfile resource has both
	// Container (its container fields, Image unset) and Build.
	Postgres  *Postgres
	Redis     *Redis
	Container *Container
	Build     *Build
}

// Postgres is the configuration of a postgres resource.
type Postgres struct {
	Version, Image, Database, User, Password Str
	Port                                     Int
	Volume                                   Volume
}

// Redis is the configuration of a redis resource.
type Redis struct {
	Version, Image, Password Str
	Port                     Int
	Volume                   Volume
}

// Volume is the postgres/redis `volume` field: a boolean or a volume name.
type Volume struct {
	Enabled bool   // true unless `volume: false`
	Name    string // explicit name; "" means the default <project>_<resource>_data
	Named   bool   // written as a string (a volume name), even an empty one
	Pos     Pos
	Set     bool
}

// Container is the configuration of a container resource (and the container part of a
// dockerfile resource).
type Container struct {
	Image      Str
	Ports      []Port
	Env        []KV // document order
	Secrets    []KV // document order
	Volumes    []Str
	Entrypoint *Argv
	Command    *Argv
	WorkingDir Str
}

// Build is the build part of a dockerfile resource.
type Build struct {
	Context, Dockerfile, Target Str
	Args                        []KV // build_args, document order
}

// KV is one entry of a user-keyed string map (env, secrets, build_args).
type KV struct {
	Key    string
	KeyPos Pos
	Value  Str
}

// Argv is an entrypoint or command: either a list (Shell false) or a string that becomes
// ["sh", "-c", <string>] after interpolation (Shell true, one item).
type Argv struct {
	Shell bool
	Items []Str
	Pos   Pos
}

// Port is one element of `ports`, as written. IsInt tells the integer form from a string.
type Port struct {
	Text   string // source text of the scalar
	IsInt  bool
	Pos    Pos
	Parsed PortMapping // valid after validation
}

// Healthcheck is the healthcheck object as written. Absent timings are unset (defaults
// are applied by the plan).
type Healthcheck struct {
	Pos           Pos
	Test          []Str
	TestSet       bool
	TestPos       Pos // position of the test list
	Interval      Str
	Timeout       Str
	StartPeriod   Str
	StartInterval Str
	Retries       Int
	// HTTP and TCP are the native forms probed from the host (container and dockerfile
	// kinds): `http: {port, path, status}` and `tcp: PORT`, in place of test.
	HTTP *HTTPCheck
	TCP  Int
}

// HTTPCheck is the `http` form of a healthcheck. Path and Status may be unset.
type HTTPCheck struct {
	Pos    Pos
	Port   Int
	Path   Str
	Status Int
}

// TestForm reports whether the healthcheck uses `test` rather than a native form.
func (h *Healthcheck) TestForm() bool { return h.HTTP == nil && !h.TCP.Set }

// Export is the optional export section (docs/spec/manifest.md §5.3), used by `lsctl export`.
type Export struct {
	Compose    ExportTarget
	Kubernetes ExportTarget
	Helm       ExportTarget
}

// ExportTarget holds one target's settings; fields a target does not have stay unset.
type ExportTarget struct {
	Namespace       Str
	ImagePullPolicy Str
	Replicas        Int
	ChartName       Str
	ChartVersion    Str
	Resources       []ExportResource
}

// ExportResource is a per-resource export override.
type ExportResource struct {
	Name            string
	Pos             Pos
	Enabled         Bool
	Replicas        Int
	ImagePullPolicy Str
}
