package containerdrt

// PullPolicy is the --pull flag (docs/spec/runtime.md §9.2).
type PullPolicy string

// Pull policies.
const (
	PullMissing PullPolicy = "missing"
	PullAlways  PullPolicy = "always"
	PullNever   PullPolicy = "never"
)

// Options configure a containerd-backed Runtime (docs/spec/runtime.md §1.1).
type Options struct {
	Address         string // containerd socket; "unix://" prefix accepted
	Namespace       string // containerd namespace, default "lightshuttle"
	Snapshotter     string // default "overlayfs"
	DataRoot        string // default /var/lib/lsctl
	CNIPath         string // CNI plugin directory; "" = discover
	SubnetPool      string // default 10.213.0.0/16
	BuildkitAddress string
	// LogDriver is the executable the shim runs as the binary log driver; ""
	// means FindLogDriver's choice.
	LogDriver string
	Pull      PullPolicy
	// Build forces rebuilds of dockerfile resources (up --build).
	Build bool
	// Version is lsctl's version; it names the AppArmor profile (docs/spec/runtime.md §3.1).
	Version string
}
