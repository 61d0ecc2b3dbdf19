package cli

import (
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// upOptions are the parsed flags of `lsctl up` (docs/spec/runtime.md §16.3).
type upOptions struct {
	Detach        bool
	Grace         time.Duration
	EnvFile       string
	WaitTimeout   time.Duration // 0: derived from each healthcheck
	Pull          containerdrt.PullPolicy
	DashboardPort int // -1: not given
	Quiet         bool
	Strict        bool
	Build         bool
	NoOtel        bool // no OTLP receiver, no OTEL_* variables, no forwarding (docs/spec/runtime.md §20)
}

// parseUpOptions validates up's flags; every problem is a usage error (exit 2).
func parseUpOptions(c *ucli.Context) (upOptions, error) {
	o := upOptions{Detach: c.Bool("detach"), Quiet: c.Bool("quiet"), Strict: c.Bool("strict"),
		Build: c.Bool("build"), NoOtel: c.Bool("no-otel"), EnvFile: c.String("env-file"), DashboardPort: -1}
	if err := needArgs(c, 0, 0, ""); err != nil {
		return o, err
	}
	pull, err := enumFlag(c, "pull", "missing", "always", "never")
	if err != nil {
		return o, err
	}
	o.Pull = containerdrt.PullPolicy(pull)
	if o.Grace, err = durationFlag(c, "grace", defaultGrace); err != nil {
		return o, err
	}
	if o.WaitTimeout, err = durationFlag(c, "wait-timeout", 0); err != nil {
		return o, err
	}
	if c.IsSet("wait-timeout") && o.WaitTimeout <= 0 {
		return o, usagef(c, "invalid value %q for --wait-timeout: must be greater than 0", c.String("wait-timeout"))
	}
	if c.IsSet("dashboard-port") {
		o.DashboardPort = c.Int("dashboard-port")
		if o.DashboardPort < 0 || o.DashboardPort > 65535 {
			return o, usagef(c, "invalid value %d for --dashboard-port: expected 0-65535", o.DashboardPort)
		}
	}
	return o, nil
}

// downOptions are the parsed flags of `lsctl down` (docs/spec/runtime.md §16.4).
type downOptions struct {
	Volumes bool
	Grace   time.Duration
	// supervised is set when a background supervisor stopped the stack first.
	supervised *supervisedStop
}

func parseDownOptions(c *ucli.Context) (downOptions, error) {
	o := downOptions{Volumes: c.Bool("volumes")}
	if err := needArgs(c, 0, 0, ""); err != nil {
		return o, err
	}
	var err error
	o.Grace, err = durationFlag(c, "grace", defaultGrace)
	return o, err
}

// logsOptions are the parsed flags of `lsctl logs` (docs/spec/runtime.md §16.6).
type logsOptions struct {
	Follow     bool
	Tail       int // -1: all
	Timestamps bool
	NoPrefix   bool
	Resources  []string
}

func parseLogsOptions(c *ucli.Context) (logsOptions, error) {
	o := logsOptions{Follow: c.Bool("follow"), Tail: -1, Timestamps: c.Bool("timestamps"),
		NoPrefix: c.Bool("no-prefix"), Resources: c.Args().Slice()}
	if c.IsSet("tail") {
		o.Tail = c.Int("tail")
		if o.Tail < 0 {
			return o, usagef(c, "invalid value %d for --tail: must be 0 or more", o.Tail)
		}
	}
	return o, nil
}

// restartOptions are the parsed flags of `lsctl restart` (docs/spec/runtime.md §16.7).
type restartOptions struct {
	Detach   bool
	Resource string
}

func parseRestartOptions(c *ucli.Context) (restartOptions, error) {
	if err := needArgs(c, 1, 1, "RESOURCE"); err != nil {
		return restartOptions{}, err
	}
	return restartOptions{Detach: c.Bool("detach"), Resource: c.Args().First()}, nil
}
