package cli

import (
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// reorderArgs lets flags follow positional arguments, as in docker compose and the
// original LightShuttle (`lsctl logs api --follow`, `lsctl validate -f other.yml`).
// urfave/cli v2 stops parsing flags at the first positional argument and parses global
// flags only before the command name, so the command line is rewritten into the order
// it expects before parsing: global flags first, then the command (and subcommand)
// names, each command's own flags, and its positional arguments. A word is a flag of
// the command when the command defines that name, else a global flag when the
// application does; a boolean flag takes no value, any other flag the next word. `--`
// ends the flags: everything after it stays positional. Commands that parse their own
// arguments (SkipFlagParsing, such as the hidden log driver) are left alone, and so is
// anything that is not a known command, for urfave to report.
func reorderArgs(app *ucli.App, args []string) ([]string, error) {
	i, ok := skipRootFlags(app, args)
	if !ok || i >= len(args) {
		return args, nil
	}
	cmd := findCommand(app.Commands, args[i])
	if cmd == nil || cmd.SkipFlagParsing {
		return args, nil
	}
	moved, own, err := reorderCommand(app, cmd, []string{cmd.Name}, args[i+1:])
	if err != nil {
		return nil, err
	}
	out := slices.Concat(args[:i], moved, args[i:i+1], own)
	return out, nil
}

// skipRootFlags returns the index of the command name: the first word that is not a
// root flag or its value. ok is false when an unknown flag or `--` comes first (urfave
// then reports or handles it).
func skipRootFlags(app *ucli.App, args []string) (int, bool) {
	i := 0
	for i < len(args) && isFlagArg(args[i]) {
		if args[i] == "--" {
			return i, false
		}
		name, inline := splitFlag(args[i])
		f := findFlag(rootFlags(app), name)
		if f == nil {
			return i, false
		}
		if flagTakesValue(f) && !inline {
			i++
		}
		i++
	}
	return i, true
}

// reorderCommand sorts the words after cmd's name: moved are the global flags (with
// their values) to put before the command name, own the command's flags, then its
// subcommand or positional arguments.
func reorderCommand(app *ucli.App, cmd *ucli.Command, path, words []string) (moved, own []string, err error) {
	var flags, positional []string
	dashdash := false
	for j := 0; j < len(words); j++ {
		w := words[j]
		if w == "--" {
			positional, dashdash = append(positional, words[j+1:]...), true
			break
		}
		if !isFlagArg(w) {
			if takesCommandLine(cmd) {
				positional = append(positional, words[j:]...) // the command to run, its flags included
				break
			}
			if len(cmd.Subcommands) > 0 && len(positional) == 0 {
				return subcommandWords(app, cmd, path, words[j:], moved, flags)
			}
			positional = append(positional, w)
			continue
		}
		name, inline := splitFlag(w)
		f, global := findFlag(commandFlags(cmd), name), false
		if f == nil {
			f, global = findFlag(app.Flags, name), true
		}
		n := 1
		if f != nil && flagTakesValue(f) && !inline {
			if j+1 >= len(words) {
				return nil, nil, &usageError{command: "lsctl " + strings.Join(path, " "), msg: "flag " + dashed(name) + " needs a value"}
			}
			n = 2
		}
		if f != nil && global {
			moved = append(moved, words[j:j+n]...)
		} else {
			flags = append(flags, words[j:j+n]...) // unknown flags too: urfave reports them
		}
		j += n - 1
	}
	if len(positional) > 0 && (dashdash || slices.ContainsFunc(positional, isFlagArg)) {
		flags = append(flags, "--")
	}
	return moved, append(flags, positional...), nil
}

// subcommandWords continues the sort below cmd once its first positional word is
// reached: a known subcommand gets its own sort; anything else is left as written
// (cmd's action reports an unknown subcommand).
func subcommandWords(app *ucli.App, cmd *ucli.Command, path, words, moved, flags []string) ([]string, []string, error) {
	sub := findCommand(cmd.Subcommands, words[0])
	if sub == nil || sub.SkipFlagParsing {
		return moved, append(flags, words...), nil
	}
	subMoved, subOwn, err := reorderCommand(app, sub, append(path, sub.Name), words[1:])
	if err != nil {
		return nil, nil, err
	}
	return append(moved, subMoved...), slices.Concat(flags, words[:1], subOwn), nil
}

// rootFlags are the flags urfave accepts before the command name: the global flags,
// help and version.
func rootFlags(app *ucli.App) []ucli.Flag {
	return append(slices.Clip(app.Flags), ucli.HelpFlag, ucli.VersionFlag)
}

// commandFlags are a command's own flags plus the help flag urfave adds to each one.
func commandFlags(cmd *ucli.Command) []ucli.Flag {
	if cmd.HideHelp {
		return cmd.Flags
	}
	return append(slices.Clip(cmd.Flags), ucli.HelpFlag)
}

// isFlagArg reports whether a word is flag-shaped ("-" alone is an argument: stdin).
func isFlagArg(a string) bool { return len(a) > 1 && a[0] == '-' }

// splitFlag returns a flag's name without dashes and whether its value is inline (=).
func splitFlag(a string) (name string, inline bool) {
	name = strings.TrimLeft(a, "-")
	if k, _, ok := strings.Cut(name, "="); ok {
		return k, true
	}
	return name, false
}

func findCommand(cmds []*ucli.Command, name string) *ucli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

func findFlag(flags []ucli.Flag, name string) ucli.Flag {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

// flagTakesValue reports whether a flag consumes the next argument.
func flagTakesValue(f ucli.Flag) bool {
	_, isBool := f.(*ucli.BoolFlag)
	return !isBool
}
