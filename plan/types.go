// Package plan turns a validated manifest into a Plan: one Node per resource with its
// resolved container specification, outputs and dependencies, in a deterministic
// topological order. It is pure data: no I/O except the generated-secrets store it is
// handed.
package plan

import (
	"net/netip"
	"slices"
	"time"

	"github.com/lightshuttle/lsctl/manifest"
)

// Plan is the fully resolved form of a manifest (docs/spec/runtime.md §2).
type Plan struct {
	Project      string
	ManifestFile string // as shown in diagnostics
	ManifestDir  string
	Nodes        []*Node  // declaration order (listings, addresses, tie-breaks)
	Order        []string // topological order: every node after all its dependencies
	Network      NetworkSpec
	Manifest     *manifest.Manifest

	byName map[string]*Node // nil for a Plan built by hand: Node falls back to a scan
}

// Node is one resource of the plan.
type Node struct {
	Name      string
	Kind      manifest.Kind
	Index     int      // declaration index
	DependsOn []string // merged dependencies (docs/spec/manifest.md §22.1)
	// Outputs are the resource's properties (docs/spec/manifest.md §12), in OutputNames order.
	Outputs     map[string]string
	OutputNames []string
	Restart     RestartPolicy
	Health      *Healthcheck // nil: no healthcheck (ready when running)
	Spec        ContainerSpec
	// SecretValues are the values to redact (docs/spec/runtime.md §8.4): passwords, secrets
	// values, password/url outputs. Never printed unless --show-secrets.
	SecretValues []string
}

// RestartPolicy is the `restart` field (docs/spec/runtime.md §12.5).
type RestartPolicy string

// Restart policies.
const (
	RestartNo        RestartPolicy = "no"
	RestartOnFailure RestartPolicy = "on-failure"
	RestartAlways    RestartPolicy = "always"
)

// Healthcheck is a resolved healthcheck (docs/spec/runtime.md §11).
type Healthcheck struct {
	// Test is the manifest form as resolved: ["CMD", argv...] or ["CMD-SHELL", s...].
	Test []string
	// Argv is what the probe execs: Test[1:] for CMD, ["/bin/sh","-c",joined] for CMD-SHELL.
	Argv          []string
	Env           []EnvVar // extra probe-only environment (REDISCLI_AUTH), secret
	Interval      time.Duration
	Timeout       time.Duration
	Retries       int
	StartPeriod   time.Duration
	StartInterval time.Duration
	// TCPPort, when non-zero, is waited for by TCP connect to <ip>:<port> from the host
	// before probes start (default postgres/redis healthchecks, docs/spec/runtime.md §11.2).
	TCPPort uint16
	// Native, when set, replaces the exec probe: lsctl probes the container's address on
	// the project bridge from the host over the service's own protocol (docs/spec/runtime.md
	// §11.1). Test and Argv then keep the exec equivalent, which exports use.
	Native *NativeProbe
}

// ProbeProtocol names the protocol of a native probe.
type ProbeProtocol string

// Native probe protocols (docs/spec/runtime.md §11.1).
const (
	ProbePostgres ProbeProtocol = "postgres"
	ProbeRedis    ProbeProtocol = "redis"
	ProbeHTTP     ProbeProtocol = "http"
	ProbeTCP      ProbeProtocol = "tcp"
)

// NativeProbe is a healthcheck run from the host against <container ip>:Port.
type NativeProbe struct {
	Protocol ProbeProtocol
	Port     uint16
	// User and Database go in the PostgreSQL startup message.
	User, Database string
	// Password is sent with AUTH before a Redis PING; secret, never printed.
	Password string
	// Path and Status are the HTTP request path and the expected status (0: any 2xx or 3xx).
	Path   string
	Status int
}

// Deadline is the readiness deadline measured from task start when --wait-timeout is
// not given: start_period + retries × (interval + timeout) (docs/spec/runtime.md §11.4).
func (h *Healthcheck) Deadline() time.Duration {
	return h.StartPeriod + time.Duration(h.Retries)*(h.Interval+h.Timeout)
}

// EnvVar is one environment variable. Secret values are redacted in every output.
type EnvVar struct {
	Name   string
	Value  string
	Secret bool
}

// PortBinding is one published TCP port. HostPort is the requested port until the
// port preflight (containerdrt) rewrites it; RequestedHostPort keeps the request.
type PortBinding struct {
	HostIP            string `json:"host_ip"`
	HostPort          uint16 `json:"host_port"`
	ContainerPort     uint16 `json:"container_port"`
	RequestedHostPort uint16 `json:"requested_host_port"`
}

// VolumeKind tells a named volume from a host bind mount.
type VolumeKind string

// Volume kinds.
const (
	VolumeNamed VolumeKind = "volume"
	VolumeBind  VolumeKind = "bind"
)

// VolumeBinding is one mount of a named volume or host path.
type VolumeBinding struct {
	Kind   VolumeKind
	Source string // volume name, or absolute host path
	Target string
	// ReadOnly mounts it read-only (the mode suffix :ro, docs/spec/manifest.md §15.1).
	ReadOnly bool
	// Within is the manifest directory for a host path written relative to it: the
	// mount refuses a source whose symbolic links lead outside (docs/spec/manifest.md §15.3).
	// "" for named volumes and absolute host paths.
	Within string
	// TargetFromImageEnv names an image Env variable whose value, when present,
	// replaces Target (postgres: PGDATA, docs/spec/runtime.md §3.2).
	TargetFromImageEnv string
	// DefaultFor is the resource owning a default volume <project>_<resource>_data
	// ("" for explicitly named volumes): such a volume refuses another owner (§7.1).
	DefaultFor string
}

// ModeSuffix is the mapping's mode as a manifest writes it: ":ro", or "" for the
// read-write default.
func (v VolumeBinding) ModeSuffix() string {
	if v.ReadOnly {
		return ":ro"
	}
	return ""
}

// BuildSpec describes a dockerfile resource's image build (docs/spec/runtime.md §9.7).
type BuildSpec struct {
	Context    string   // absolute
	Dockerfile string   // absolute
	Args       []EnvVar // build_args in document order
	Target     string
}

// ContainerSpec is everything containerdrt needs to create the resource's container.
// Image-dependent parts (image Env/Entrypoint/Cmd/User/...) are merged by containerdrt.
type ContainerSpec struct {
	ID       string // container identifier (docs/spec/runtime.md §4.1)
	Project  string
	Resource string
	Kind     manifest.Kind
	Image    string     // normalised reference (dockerfile: the build name)
	Build    *BuildSpec // dockerfile only

	// Entrypoint nil: image default. []string{""}: clear the image ENTRYPOINT.
	Entrypoint []string
	// Command nil: image default (also for `command: []`).
	Command []string
	// Env holds layers 3-5 of docs/spec/runtime.md §3.1 in order: kind variables, manifest env,
	// secrets (Secret), then LSH_* variables. MergeProcess adds the image Env, the PATH
	// default and HOSTNAME.
	Env        []EnvVar
	WorkingDir string // "" = image default, else "/"
	Hostname   string
	IP         netip.Addr // zero until the network subnet is known (Plan.AssignSubnet)
	HostOffset int        // host part of IP within the project /24 (2..254)
	Ports      []PortBinding
	Volumes    []VolumeBinding
	Labels     map[string]string // ownership labels known at plan time (docs/spec/runtime.md §4.2)

	// Project files bind-mounted read-only (docs/spec/runtime.md §5.4).
	HostsPath, ResolvConfPath, HostnamePath string
	LogPath                                 string
	// Files are secrets handed to the container as read-only files.
	Files []SecretFile
}

// SecretFile is a file that lsctl writes under the project directory and mounts
// read-only into the container, so that a secret which the image takes as a
// command-line option reaches it without any process's argv carrying it: argv is
// readable by every local user in /proc, the file only by root on the host (its
// directories are 0700) and by the container.
type SecretFile struct {
	Source  string // on the host: <project dir>/files/<resource>/<name>
	Target  string // in the container; Command names it
	Content string
	// Argv is what the file stands for on a command line. Exporters, whose engines
	// keep secrets in stores of their own, pass these options instead.
	Argv []string
}

// InlineCommand is Command with every secret file's path replaced by the options it
// stands for (appended), the form of the command for engines without the files.
func (s *ContainerSpec) InlineCommand() []string {
	if len(s.Files) == 0 {
		return s.Command
	}
	var out []string
	for _, a := range s.Command {
		if !slices.ContainsFunc(s.Files, func(f SecretFile) bool { return f.Target == a }) {
			out = append(out, a)
		}
	}
	for _, f := range s.Files {
		out = append(out, f.Argv...)
	}
	return out
}

// NetworkSpec describes the project network (docs/spec/runtime.md §5).
type NetworkSpec struct {
	Project string
	Name    string // lightshuttle-<dns(project)>
	Bridge  string // lsh-<8 hex FNV-1a of Name>
	// Offsets maps each resource to its host offset in the /24 (2..254).
	Offsets map[string]int
	Subnet  netip.Prefix // zero until allocated
	Gateway netip.Addr
}

// Label keys (docs/spec/runtime.md §4.2).
const (
	LabelProject       = "lightshuttle.project"
	LabelResource      = "lightshuttle.resource"
	LabelKind          = "lightshuttle.kind"
	LabelConfigHash    = "lightshuttle.config-hash"
	LabelIP            = "lightshuttle.ip"
	LabelPorts         = "lightshuttle.ports"
	LabelDependsOn     = "lightshuttle.depends-on"
	LabelRestarts      = "lightshuttle.restarts"
	LabelStartedAt     = "lightshuttle.started-at"
	LabelContextDigest = "lightshuttle.context-digest"
	// LabelStopped marks a container stopped by hand (`lsctl stop`, a ts-format time):
	// it is kept, and the next start gives it a fresh task instead of recreating it.
	LabelStopped = "lightshuttle.stopped"
	// LabelRun marks a one-off container of `lsctl run`; its value is the resource it
	// was made from. Nobody supervises it; `down` removes it.
	LabelRun = "lightshuttle.run"
	// LabelStopping is set when a stop signal is sent: the container is on its way
	// out and is never adopted, even while its task still runs.
	LabelStopping = "lightshuttle.stopping"
)

// ImageConfig is the part of an image configuration the plan and the hash need
// (docs/spec/runtime.md §9.6, §4.3).
type ImageConfig struct {
	Env        []string
	Entrypoint []string
	Cmd        []string
	WorkingDir string
	User       string
	StopSignal string
	DiffIDs    []string
}
