// Package cli is lsctl's command line: urfave/cli/v2 commands, terminal rendering, and
// the control API server and client.
package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// Main runs lsctl with args (os.Args) and returns the process exit code.
func Main(args []string) int {
	if len(args) > 0 {
		args = args[1:]
	}
	s := &session{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, lookupEnv: os.LookupEnv, spawn: true}
	if len(args) > 0 && args[0] == superviseCommand {
		defer startProfiling(os.LookupEnv, "supervise")()
		return s.runSupervisor(args[1:])
	}
	role := "lsctl"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		role = filepath.Base(args[0]) // a command name; never a path in a file name
	}
	defer startProfiling(os.LookupEnv, role)()
	return s.run(args)
}

// Run executes one lsctl command line (args without the program name) against the
// given standard streams and environment, and returns the exit code (docs/spec/runtime.md §16.2):
// 0 success, 1 failure, 2 usage error, 130/143 ended by SIGINT/SIGTERM. It never calls
// os.Exit, so tests run the whole CLI in-process.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) (string, bool)) int {
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	s := &session{stdin: stdin, stdout: stdout, stderr: stderr, lookupEnv: env}
	return s.run(args)
}

// run parses args and runs the command on the session.
func (s *session) run(args []string) int {
	s.args = args
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(s.stderr, &slog.HandlerOptions{Level: logLevel(s.lookupEnv)}))
	}
	app := s.newApp()
	args, err := reorderArgs(app, args)
	if err != nil {
		return s.report(err)
	}
	err = app.RunContext(context.Background(), append([]string{"lsctl"}, args...))
	return s.report(err)
}

// argOrderHelp says where options may go (reorderArgs); `lsctl --help` and docs/cli.md
// show it.
const argOrderHelp = "Options may follow the arguments (`lsctl logs api --follow`), and global options may\n" +
	"follow the command name (`lsctl validate -f other.yml`), except where the command has\n" +
	"an option of the same name: after the command name, `logs -f` is `--follow` and\n" +
	"`up --env-file` is up's own. `--` ends the options; every word after it is an argument."

// session is the state of one Run: streams, environment and the resolved global
// options. Commands are its methods so they share them without globals.
type session struct {
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	lookupEnv func(string) (string, bool)
	log       *slog.Logger
	opts      globalOptions
	// signals, when set, replaces the process signal channel (tests).
	signals <-chan os.Signal
	// args is the command line being run, which `up -d` hands to the supervisor.
	args []string
	// spawn is set when this is the lsctl executable (Main), not an in-process Run:
	// only then does `up -d` start a background supervisor process.
	spawn bool
	// supervisor is set in the background supervisor process.
	supervisor *supervisorIO
	// upLog keeps a foreground up's state lines (the supervisor logs its whole output).
	upLog io.Writer
}

// newApp builds the urfave application: global flags, commands, and the hooks that
// route every usage problem to a usageError (exit 2) instead of urfave's own output.
func (s *session) newApp() *ucli.App {
	app := &ucli.App{
		Name:                   "lsctl",
		Usage:                  "run a lightshuttle.yml stack on containerd",
		UsageText:              "lsctl [global options] command [command options] [arguments...]",
		Description:            argOrderHelp,
		Version:                buildVersion(),
		Writer:                 s.stdout,
		ErrWriter:              s.stderr,
		Reader:                 s.stdin,
		HideHelpCommand:        true,
		Suggest:                false,
		UseShortOptionHandling: false,
		Flags:                  globalFlags(),
		Commands:               s.commands(),
		Before:                 s.before,
		OnUsageError:           onUsageError,
		ExitErrHandler:         func(*ucli.Context, error) {},
		Action:                 rootAction,
	}
	for _, c := range app.Commands {
		setUsageHandlers(c)
	}
	return app
}

// commands lists every command in help order.
func (s *session) commands() []*ucli.Command {
	cmds := []*ucli.Command{
		s.upCommand(),
		s.downCommand(),
		s.psCommand(),
		s.logsCommand(),
		s.restartCommand(),
		s.stopCommand(),
		s.startCommand(),
		s.killCommand(),
		s.execCommand(),
		s.runCommand(),
		s.portCommand(),
		s.topCommand(),
		s.statsCommand(),
		s.cpCommand(),
		s.eventsCommand(),
		s.serviceCommand(),
		s.validateCommand(),
		s.manifestCommand(),
		s.secretsCommand(),
		s.pullCommand(),
		s.buildCommand(),
		s.imagesCommand(),
		s.exportCommand(),
		s.schemaCommand(),
		s.versionCommand(),
		s.completionCommand(),
		logDriverCommand(),
		s.resourcesCommand(),
	}
	return cmds
}

// setUsageHandlers installs the usage-error hook on a command and its subcommands, and
// makes a parent command without a subcommand a usage error.
func setUsageHandlers(c *ucli.Command) {
	c.OnUsageError = onUsageError
	c.HideHelpCommand = true
	if len(c.Subcommands) > 0 && c.Action == nil {
		c.Action = missingSubcommand
	}
	for _, sub := range c.Subcommands {
		setUsageHandlers(sub)
	}
}

// rootAction runs when no command was named: `help` shows the help, an unknown word
// is a usage error, no word at all shows the help.
func rootAction(c *ucli.Context) error {
	if c.Args().First() == "help" { // `lsctl help [command]`, like --help
		if c.Args().Len() > 1 && findCommand(c.App.Commands, c.Args().Get(1)) != nil {
			return ucli.ShowCommandHelp(c, c.Args().Get(1))
		}
		return ucli.ShowAppHelp(c)
	}
	if c.Args().Present() {
		return unknownCommand(c.App, c.Args().First())
	}
	return ucli.ShowAppHelp(c)
}
