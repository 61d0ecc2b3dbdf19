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

	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/containerdrt"
)

// attachFlags are the flags of the commands that run a process attached to lsctl's
// streams (exec, run).
func attachFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "stream stdin to the command (default when stdin and stdout are terminals)"},
		&ucli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-terminal that follows window resizes (default when stdin and stdout are terminals)"},
		&ucli.BoolFlag{Name: "no-tty", Aliases: []string{"T"}, Usage: "never allocate a pseudo-terminal"},
		&ucli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set an environment variable, K=V (K alone passes lsctl's own value)"},
		&ucli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "run as USER[:GROUP], names or numbers (default: the container's user)"},
		&ucli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory in the container (default: the container's)"},
	}
}

// takesCommandLine reports whether everything after a command's first positional
// argument is a command line of its own, flags included (exec, run): argument order
// checks stop there.
func takesCommandLine(cmd *ucli.Command) bool {
	return cmd.Name == "exec" || cmd.Name == "run"
}

// attachOptions are the parsed attachFlags and arguments of exec and run.
type attachOptions struct {
	Interactive, TTY bool
	Env              []string
	User, Dir        string
	Resource         string
	Argv             []string // empty: the resource's own command (run only)
}

// parseAttachOptions reads RESOURCE [--] CMD [ARG...] (CMD optional unless
// needCommand) and the flags; with stdin and stdout on a terminal, -i and -t are the
// default, as `docker compose exec` does.
func (s *session) parseAttachOptions(c *ucli.Context, needCommand bool) (attachOptions, error) {
	o := attachOptions{User: c.String("user"), Dir: c.String("workdir")}
	args := c.Args().Slice()
	if len(args) == 0 {
		return o, usagef(c, "missing argument RESOURCE")
	}
	o.Resource, args = args[0], args[1:]
	argv, err := splitCommandLine(c, o.Resource, args)
	if err != nil {
		return o, err
	}
	if len(argv) == 0 && needCommand {
		return o, usagef(c, "missing command to run after %s", o.Resource)
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
	stdinTTY, stdoutTTY := render.TerminalFile(s.stdin) != nil, render.TerminalFile(s.stdout) != nil
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
		return args[1:], nil
	}
	if len(args) > 0 && isFlagArg(args[0]) {
		return nil, usagef(c, "%s after the resource name is ambiguous: put %s's flags before RESOURCE and the command after --, as in: %s %s -- CMD",
			args[0], commandPath(c), commandPath(c), resource)
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

// attachedProcess is a started process with lsctl's streams attached (an exec
// process, a one-off container).
type attachedProcess interface {
	Resize(ctx context.Context, width, height uint16) error
	Signal(ctx context.Context, sig syscall.Signal) error
	Wait(ctx context.Context) (int, error)
}

// attachProcess starts a process on lsctl's streams, with the terminal in raw mode
// when the process has a pseudo-terminal fed from ours, forwards lsctl's signals and
// window size changes to it, and ends with its exit code.
func (s *session) attachProcess(ctx context.Context, o attachOptions, start func(containerdrt.Streams) (attachedProcess, error)) error {
	inTTY, outTTY := render.TerminalFile(s.stdin), render.TerminalFile(s.stdout)
	st := containerdrt.Streams{Terminal: o.TTY, Stdout: s.stdout, Stderr: s.stderr}
	if o.Interactive {
		st.Stdin = s.stdin
	}
	if st.Terminal {
		st.Width, st.Height = render.TerminalSize(outTTY, inTTY)
	}
	sigs, stopSigs := s.forwardedSignals()
	defer stopSigs()
	restore := func() {}
	if st.Terminal && st.Stdin != nil && inTTY != nil {
		r, err := render.RawMode(inTTY)
		if err != nil {
			return err
		}
		restore = r
	}
	defer restore()
	proc, err := start(st)
	var se *containerdrt.ExecStartError
	if errors.As(err, &se) {
		restore()
		return &exitError{code: se.Code, msg: se.Msg}
	}
	if err != nil {
		return err
	}
	code, err := s.waitForwarding(ctx, proc, sigs, outTTY, inTTY)
	restore()
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// waitForwarding waits for the process, forwarding signals meanwhile; a second
// SIGINT or SIGTERM becomes SIGKILL.
func (s *session) waitForwarding(ctx context.Context, proc attachedProcess, sigs <-chan os.Signal, files ...*os.File) (int, error) {
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := proc.Wait(ctx)
		done <- result{code, err}
	}()
	interrupts := 0
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGINT || sig == syscall.SIGTERM {
				// A PID 1 without a handler never gets them (docs/spec/runtime.md §12.7): the
				// second one kills, as with up.
				if interrupts++; interrupts > 1 {
					sig = syscall.SIGKILL
				}
			}
			forward(ctx, proc, sig, files...)
		case r := <-done:
			if r.err != nil {
				return 0, fmt.Errorf("wait for the process: %w", r.err)
			}
			return r.code, nil
		}
	}
}

// forward hands a signal lsctl received to the process: a window size change becomes
// a resize of its terminal, anything else is sent on.
func forward(ctx context.Context, proc attachedProcess, sig os.Signal, files ...*os.File) {
	if sig == syscall.SIGWINCH {
		if w, h := render.TerminalSize(files...); w > 0 {
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
