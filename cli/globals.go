package cli

import (
	"io"
	"log/slog"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

// globalOptions are the resolved global flags of docs/spec/runtime.md §1.1.
type globalOptions struct {
	File            string
	EnvFile         string
	Address         string
	Namespace       string
	Snapshotter     string
	DataRoot        string
	BuildkitAddress string
	SubnetPool      string
	CNIPath         string
	NoColor         bool
}

// globalSetting describes one global flag that falls back to an environment variable
// and then to a default (docs/spec/runtime.md §1.1: flag, then environment, then default).
type globalSetting struct {
	name, env, def, usage string
	target                func(*globalOptions) *string
}

// globalSettings is the table of string-valued global options with environment
// fallbacks. The environment is read through the session's lookup (not os.Getenv,
// which urfave's EnvVars would use) so in-process tests control it.
var globalSettings = []globalSetting{
	{"address", "CONTAINERD_ADDRESS", containerdrt.DefaultAddress, "containerd socket; unix:// prefix accepted",
		func(o *globalOptions) *string { return &o.Address }},
	{"namespace", "LSCTL_NAMESPACE", containerdrt.DefaultNamespace, "containerd namespace for containers and images",
		func(o *globalOptions) *string { return &o.Namespace }},
	{"snapshotter", "CONTAINERD_SNAPSHOTTER", containerdrt.DefaultSnapshotter, "snapshotter for unpacking and root filesystems",
		func(o *globalOptions) *string { return &o.Snapshotter }},
	{"data-root", "LSCTL_DATA_ROOT", plan.DefaultDataRoot, "lsctl state directory",
		func(o *globalOptions) *string { return &o.DataRoot }},
	{"buildkit-address", "BUILDKIT_HOST", containerdrt.DefaultBuildkitAddress, "BuildKit daemon address",
		func(o *globalOptions) *string { return &o.BuildkitAddress }},
	{"subnet-pool", "LSCTL_SUBNET_POOL", containerdrt.DefaultSubnetPool, "IPv4 pool carved into /24 project subnets",
		func(o *globalOptions) *string { return &o.SubnetPool }},
	{"cni-path", "CNI_PATH", "", "CNI plugin directory (default: first of /opt/cni/bin, /usr/libexec/cni, /usr/lib/cni holding bridge)",
		func(o *globalOptions) *string { return &o.CNIPath }},
}

// globalFlags returns the global flag definitions.
func globalFlags() []ucli.Flag {
	flags := []ucli.Flag{
		&ucli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "manifest path (default: lightshuttle.yml found in the current or a parent directory); also after the command name, except logs, where -f is --follow"},
		&ucli.StringFlag{Name: "env-file", Usage: "dotenv file, must exist when given (default: <manifest dir>/.env, else ./.env with a warning)"},
	}
	for _, g := range globalSettings {
		usage := g.usage + " (env " + g.env + ")"
		flags = append(flags, &ucli.StringFlag{Name: g.name, Usage: usage, DefaultText: g.def})
	}
	return append(flags, &ucli.BoolFlag{Name: "no-color", Usage: "disable colour (env NO_COLOR)"})
}

// before resolves the global options once the root flags are parsed.
func (s *session) before(c *ucli.Context) error {
	s.opts.File = c.String("file")
	s.opts.EnvFile = c.String("env-file")
	for _, g := range globalSettings {
		*g.target(&s.opts) = s.setting(c, g)
	}
	if s.opts.CNIPath == "" {
		s.opts.CNIPath = containerdrt.DiscoverCNIPath()
	}
	v, _ := s.lookupEnv("NO_COLOR")
	s.opts.NoColor = c.Bool("no-color") || v != ""
	return nil
}

// setting applies the flag > environment > default precedence to one option.
func (s *session) setting(c *ucli.Context, g globalSetting) string {
	if c.IsSet(g.name) {
		return c.String(g.name)
	}
	if v, ok := s.lookupEnv(g.env); ok && v != "" {
		return v
	}
	return g.def
}

// logLevel reads LSCTL_LOG (debug, info, warn, error; default warn).
func logLevel(env func(string) (string, bool)) slog.Level {
	v, _ := env("LSCTL_LOG")
	switch strings.ToLower(v) {
	case "debug":
		return slog.LevelDebug
	case "info":
		return slog.LevelInfo
	case "error":
		return slog.LevelError
	}
	return slog.LevelWarn
}

// useColor reports whether output to w may be coloured: a terminal, and neither
// --no-color nor NO_COLOR (docs/spec/runtime.md §16.2).
func (s *session) useColor(w io.Writer) bool {
	if s.opts.NoColor {
		return false
	}
	return render.IsTerminal(w)
}
