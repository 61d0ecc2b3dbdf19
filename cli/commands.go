package cli

import (
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/manifest"
)

// defaultGrace is the stop grace period of --grace (docs/spec/runtime.md §12.7).
const defaultGrace = 10 * time.Second

func graceFlag() ucli.Flag {
	return &ucli.StringFlag{Name: "grace", Value: "10s", Usage: "time to wait after the stop signal before SIGKILL (such as 10s, 1.5m or 1m30s)"}
}

// durationFlag reads a duration flag with the manifest grammar (docs/spec/runtime.md §16.1).
func durationFlag(c *ucli.Context, name string, def time.Duration) (time.Duration, error) {
	if !c.IsSet(name) {
		return def, nil
	}
	d, err := manifest.ParseDuration(c.String(name))
	if err != nil {
		return 0, usagef(c, "invalid value %q for --%s: %v", c.String(name), name, err)
	}
	return d, nil
}

// enumFlag reads a flag whose value must be one of allowed (exact match).
func enumFlag(c *ucli.Context, name string, allowed ...string) (string, error) {
	v := c.String(name)
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", usagef(c, "invalid value %q for --%s: expected %s", v, name, joinOr(allowed))
}

func joinOr(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	out := ""
	for i, w := range words[:len(words)-1] {
		if i > 0 {
			out += ", "
		}
		out += w
	}
	return out + " or " + words[len(words)-1]
}

func (s *session) upCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "up",
		Usage:     "start the stack and supervise it",
		UsageText: "lsctl up [-d] [--grace D] [--wait-timeout D] [--pull missing|always|never] [--build] [--dashboard-port N] [--no-otel] [--quiet] [--strict]",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once every resource is ready, leaving the stack to a background supervisor"},
			graceFlag(),
			&ucli.StringFlag{Name: "env-file", Usage: "dotenv file (default: <manifest dir>/.env, else ./.env with a warning)"},
			&ucli.StringFlag{Name: "wait-timeout", Usage: "readiness deadline per resource, such as 90s or 1m30s (default: derived from its healthcheck)"},
			&ucli.StringFlag{Name: "pull", Value: "missing", Usage: "image pull policy: missing, always or never"},
			&ucli.IntFlag{Name: "dashboard-port", Aliases: []string{"control-port"}, Usage: "serve the control API and dashboard on 127.0.0.1:N (0 picks a free port)"},
			&ucli.BoolFlag{Name: "no-otel", Usage: "turn OpenTelemetry off for this up: no OTLP receiver, no OTEL_* variables, nothing forwarded"},
			&ucli.BoolFlag{Name: "no-color", Usage: "disable colour"},
			&ucli.BoolFlag{Name: "quiet", Usage: "do not stream container logs after ready"},
			&ucli.BoolFlag{Name: "strict", Usage: "treat warnings (and busy requested host ports) as errors"},
			&ucli.BoolFlag{Name: "build", Usage: "rebuild dockerfile images even when their context is unchanged"},
		},
		Action: s.upAction,
	}
}

func (s *session) downCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "down",
		Usage:     "stop and remove the project's containers and network",
		UsageText: "lsctl down [--volumes] [--grace D]",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "volumes", Usage: "also remove volumes, generated secrets and logs"},
			graceFlag(),
		},
		Action: s.downAction,
	}
}

func (s *session) psCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "ps",
		Usage:     "list the project's resources and their status",
		UsageText: "lsctl ps [--json] [--show-secrets]",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "json", Usage: "print the resource views as JSON"},
			&ucli.BoolFlag{Name: "show-secrets", Usage: "also print passwords"},
		},
		Action: s.psAction,
	}
}

func (s *session) logsCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "logs",
		Usage:     "print container logs",
		UsageText: "lsctl logs [-f|-F|--follow] [--tail N] [--timestamps] [--no-prefix] [RESOURCE...]",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "follow", Aliases: []string{"f", "F"}, Usage: "keep printing new lines until interrupted (after the command name, -f is --follow, not --file)"},
			&ucli.IntFlag{Name: "tail", Usage: "print only the last N records per resource (default: all)"},
			&ucli.BoolFlag{Name: "timestamps", Usage: "prefix each line with its timestamp"},
			&ucli.BoolFlag{Name: "no-prefix", Usage: "do not prefix lines with the resource name"},
		},
		Action: s.logsAction,
	}
}

func (s *session) restartCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "restart",
		Usage:     "restart one resource",
		UsageText: "lsctl restart [--detach] RESOURCE",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the running up accepted the restart"},
		},
		Action: s.restartAction,
	}
}

func (s *session) validateCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "validate",
		Usage:     "check the manifest offline",
		UsageText: "lsctl validate [--strict] [--format text|json]",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "strict", Usage: "treat warnings as errors"},
			&ucli.StringFlag{Name: "format", Value: "text", Usage: "output format: text or json"},
		},
		Action: s.validateAction,
	}
}

func (s *session) manifestCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "manifest",
		Usage:     "print the resolved manifest as YAML",
		UsageText: "lsctl manifest [--show-secrets]",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "show-secrets", Usage: "print secret values instead of \"<redacted>\""},
		},
		Action: s.manifestAction,
	}
}

func (s *session) secretsCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "secrets",
		Usage:     "inspect the variables the manifest needs",
		UsageText: "lsctl secrets check [--env-file P]",
		Subcommands: []*ucli.Command{{
			Name:      "check",
			Usage:     "report which ${env.*} variables are set, defaulted or missing",
			UsageText: "lsctl secrets check [--env-file P]",
			Flags: []ucli.Flag{
				&ucli.StringFlag{Name: "env-file", Usage: "dotenv file (default: <manifest dir>/.env, else ./.env with a warning)"},
			},
			Action: s.secretsCheckAction,
		}},
	}
}

func (s *session) pullCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "pull",
		Usage:     "pull every image the stack uses",
		UsageText: "lsctl pull",
		Action:    s.pullAction,
	}
}

func (s *session) imagesCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "images",
		Usage:     "manage images",
		UsageText: "lsctl images load FILE",
		Subcommands: []*ucli.Command{{
			Name:      "load",
			Usage:     "import a docker save or OCI archive (FILE may be - for stdin)",
			UsageText: "lsctl images load FILE",
			Action:    s.imagesLoadAction,
		}},
	}
}

func (s *session) schemaCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "schema",
		Usage:     "print the JSON Schema of lightshuttle.yml",
		UsageText: "lsctl schema",
		Action: func(c *ucli.Context) error {
			if err := needArgs(c, 0, 0, ""); err != nil {
				return err
			}
			_, err := s.stdout.Write(manifestSchema())
			return err
		},
	}
}

// logDriverCommand is the hidden binary log driver entry (docs/spec/runtime.md §10.1). main.go
// dispatches it before anything else; this definition keeps `lsctl __log-driver`
// from being an unknown command when Run is called directly.
func logDriverCommand() *ucli.Command {
	return &ucli.Command{
		Name:            "__log-driver",
		Hidden:          true,
		SkipFlagParsing: true,
		Action: func(c *ucli.Context) error {
			if code := runLogDriver(c.Args().Slice()); code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
}
