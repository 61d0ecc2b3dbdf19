package containerdrt

import (
	"io"
	"log/slog"
	"os"
)

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
	// Logger receives the runtime's diagnostics (warnings such as a loopback-only
	// resolv.conf); nil means slog.Default().
	Logger *slog.Logger
	// PluginOutput receives what CNI plugins write to their stderr; nil means os.Stderr.
	PluginOutput io.Writer
}

// logger is Options.Logger, or slog.Default() when the client was built without one.
func (c *Client) logger() *slog.Logger {
	if c.opts.Logger == nil {
		return slog.Default()
	}
	return c.opts.Logger
}

// pluginOutput is Options.PluginOutput, or os.Stderr when the client was built without one.
func (c *Client) pluginOutput() io.Writer {
	if c.opts.PluginOutput == nil {
		return os.Stderr
	}
	return c.opts.PluginOutput
}
