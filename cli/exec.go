package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/containerdrt"
)

func (s *session) execCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "exec",
		Usage:     "run a command in a resource's running container",
		UsageText: "lsctl exec [-i] [-t] [-T] [-e K=V]... [-u USER] [-w DIR] RESOURCE [--] CMD [ARG...]",
		Description: "The command gets the container's environment (the injected URLs included) plus -e, " +
			"and its exit code becomes lsctl's. With stdin and stdout on a terminal, -i and -t are the default.",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "stream stdin to the command (default when stdin and stdout are terminals)"},
			&ucli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-terminal that follows window resizes (default when stdin and stdout are terminals)"},
			&ucli.BoolFlag{Name: "no-tty", Aliases: []string{"T"}, Usage: "never allocate a pseudo-terminal"},
			&ucli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set an environment variable, K=V (K alone passes lsctl's own value)"},
			&ucli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "run as USER[:GROUP], names or numbers (default: the container's user)"},
			&ucli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory in the container (default: the container's)"},
		},
		UseShortOptionHandling: true, // -it, as people type it
		Action:                 s.execAction,
	}
}

// takesCommandLine reports whether everything after a command's first positional
// argument is a command line of its own, flags included (exec, run): argument order
// checks stop there.
func takesCommandLine(cmd *ucli.Command) bool {
	return cmd.Name == "exec"
}

// execOptions are the parsed flags and arguments of `lsctl exec`.
type execOptions struct {
	Interactive, TTY bool
	Env              []string
	User, Dir        string
	Resource         string
	Argv             []string
}

func (s *session) parseExecOptions(c *ucli.Context) (execOptions, error) {
	o := execOptions{User: c.String("user"), Dir: c.String("workdir")}
	args := c.Args().Slice()
	if len(args) == 0 {
		return o, usagef(c, "missing argument RESOURCE")
	}
	o.Resource, args = args[0], args[1:]
	argv, err := splitCommandLine(c, o.Resource, args)
	if err != nil {
		return o, err
	}
	o.Argv = argv
	if o.Env, err = s.envFlags(c); err != nil {
		return o, err
	}
	if c.IsSet("workdir") && !strings.HasPrefix(o.Dir, "/") {
		return o, usagef(c, "invalid value %q for --workdir: must be an absolute path in the container", o.Dir)
	}
	if c.IsSet("user") && (o.User == "" || strings.ContainsAny(o.User, " \t\n")) {
		return o, usagef(c, "invalid value %q for --user: expected USER or USER:GROUP", o.User)
	}
	o.Interactive, o.TTY = c.Bool("interactive"), c.Bool("tty")
	stdinTTY, stdoutTTY := terminalFile(s.stdin) != nil, terminalFile(s.stdout) != nil
	if stdinTTY && stdoutTTY && !c.IsSet("interactive") && !c.IsSet("tty") {
		o.Interactive, o.TTY = true, true
	}
	if c.Bool("no-tty") {
		if c.Bool("tty") {
			return o, usagef(c, "-t and -T contradict each other: choose one")
		}
		o.TTY = false
	}
	if o.TTY && o.Interactive && !stdinTTY {
		return o, usagef(c, "-it needs a terminal on stdin, and stdin is not one: drop -t (or use -T) to stream a pipe or file")
	}
	return o, nil
}

// splitCommandLine returns the command after RESOURCE: what follows `--`, or the
// arguments from the first one on. A flag right after RESOURCE without `--` is
// ambiguous (is it lsctl's or the command's?), so it is a usage error.
func splitCommandLine(c *ucli.Context, resource string, args []string) ([]string, error) {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	} else if len(args) > 0 && isFlagArg(args[0]) {
		return nil, usagef(c, "%s after the resource name is ambiguous: put %s's flags before RESOURCE and the command after --, as in: %s %s -- CMD",
			args[0], commandPath(c), commandPath(c), resource)
	}
	if len(args) == 0 {
		return nil, usagef(c, "missing command to run after %s", resource)
	}
	return args, nil
}

// envFlags reads the -e values: K=V, or K alone for lsctl's own value of K.
func (s *session) envFlags(c *ucli.Context) ([]string, error) {
	var out []string
	for _, kv := range c.StringSlice("env") {
		k, v, hasValue := strings.Cut(kv, "=")
		if k == "" || strings.ContainsAny(k, " \t\n") {
			return nil, usagef(c, "invalid value %q for --env: expected K=V", kv)
		}
		if !hasValue {
			var ok bool
			if v, ok = s.lookupEnv(k); !ok {
				continue // like docker: a variable lsctl does not have is not set
			}
		}
		out = append(out, k+"="+v)
	}
	return out, nil
}

func (s *session) execAction(c *ucli.Context) error {
	o, err := s.parseExecOptions(c)
	if err != nil {
		return err
	}
	ld, err := s.load("", false)
	if err != nil {
		return err
	}
	v, err := s.runningResource(c.Context, ld, o.Resource)
	if err != nil {
		return err
	}
	rt, err := s.connect(c.Context, containerdrt.PullMissing, false)
	if err != nil {
		return err
	}
	defer rt.Close()
	spec := containerdrt.ExecSpec{Argv: o.Argv, Env: o.Env, User: o.User, Dir: o.Dir,
		Terminal: o.TTY, Stdout: s.stdout, Stderr: s.stderr}
	if o.Interactive {
		spec.Stdin = s.stdin
	}
	return s.attachProcess(c.Context, rt, *v.ContainerID, spec)
}

// execStarter starts an attached process (the containerd client).
type execStarter interface {
	StartExec(ctx context.Context, id string, s containerdrt.ExecSpec) (*containerdrt.ExecProcess, error)
}

// attachProcess runs the process with the terminal in raw mode when it has a pseudo-terminal
// fed from ours, forwards lsctl's signals and window size changes to it, and ends
// with its exit code.
func (s *session) attachProcess(ctx context.Context, rt execStarter, id string, spec containerdrt.ExecSpec) error {
	inTTY, outTTY := terminalFile(s.stdin), terminalFile(s.stdout)
	if spec.Terminal {
		spec.Width, spec.Height = terminalSize(outTTY, inTTY)
	}
	sigs, stopSigs := s.forwardedSignals()
	defer stopSigs()
	restore := func() {}
	if spec.Terminal && spec.Stdin != nil && inTTY != nil {
		r, err := rawMode(inTTY)
		if err != nil {
			return err
		}
		restore = r
	}
	defer restore()
	proc, err := rt.StartExec(ctx, id, spec)
	var se *containerdrt.ExecStartError
	if errors.As(err, &se) {
		restore()
		return &exitError{code: se.Code, msg: se.Msg}
	}
	if err != nil {
		return err
	}
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := proc.Wait(ctx)
		done <- result{code, err}
	}()
	for {
		select {
		case sig := <-sigs:
			s.forward(ctx, proc, sig, outTTY, inTTY)
		case r := <-done:
			restore()
			if r.err != nil {
				return fmt.Errorf("exec in %s: %w", id, r.err)
			}
			if r.code != 0 {
				return &exitError{code: r.code}
			}
			return nil
		}
	}
}

// forward hands a signal lsctl received to the process: a window size change becomes
// a resize of its terminal, anything else is sent on.
func (s *session) forward(ctx context.Context, proc *containerdrt.ExecProcess, sig os.Signal, files ...*os.File) {
	if sig == syscall.SIGWINCH {
		if w, h := terminalSize(files...); w > 0 {
			_ = proc.Resize(ctx, w, h)
		}
		return
	}
	if ss, ok := sig.(syscall.Signal); ok {
		_ = proc.Signal(ctx, ss)
	}
}

// forwardedSignals delivers the signals an attached process receives in lsctl's place
// (tests inject theirs through session.signals).
func (s *session) forwardedSignals() (<-chan os.Signal, func()) {
	if s.signals != nil {
		return s.signals, func() {}
	}
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH)
	return ch, func() { signal.Stop(ch) }
}
