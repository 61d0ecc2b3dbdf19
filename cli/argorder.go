package cli

import (
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// checkArgOrder finds the two ordering mistakes urfave/cli v2 would otherwise accept
// silently (runtime.md §16.1): a command flag written after a positional argument
// (v2 stops parsing flags there, so `restart db --detach` would restart a resource
// named "--detach"), and a global flag written after the command name. Both are usage
// errors that print the corrected command line. Everything else is left to urfave.
func checkArgOrder(app *ucli.App, args []string) error {
	i := 0
	for i < len(args) && isFlagArg(args[i]) {
		if args[i] == "--" {
			return nil
		}
		name, inline := splitFlag(args[i])
		found, takesValue := isGlobalFlag(name)
		if !found {
			return nil // urfave reports the unknown flag
		}
		if takesValue && !inline {
			i++
		}
		i++
	}
	if i >= len(args) {
		return nil
	}
	globals := args[:i]
	cmd := findCommand(app.Commands, args[i])
	if cmd == nil {
		return nil
	}
	path := []string{cmd.Name}
	i++
	for len(cmd.Subcommands) > 0 && i < len(args) && !isFlagArg(args[i]) {
		sub := findCommand(cmd.Subcommands, args[i])
		if sub == nil {
			return nil
		}
		cmd, path = sub, append(path, sub.Name)
		i++
	}
	return checkCommandArgs(cmd, globals, path, args[i:])
}

// checkCommandArgs checks the arguments after the command name.
func checkCommandArgs(cmd *ucli.Command, globals, path, rest []string) error {
	usage := "lsctl " + strings.Join(path, " ")
	var flags, positional, misplaced []string
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		if a == "--" {
			positional = append(positional, rest[j:]...)
			break
		}
		if !isFlagArg(a) {
			if takesCommandLine(cmd) {
				break // the rest is the command to run, its flags included
			}
			positional = append(positional, a)
			continue
		}
		name, inline := splitFlag(a)
		f := findFlag(cmd.Flags, name)
		if f == nil && name != "help" && name != "h" {
			if g, takesValue := isGlobalFlag(name); g {
				moved := []string{a}
				if takesValue && !inline && j+1 < len(rest) {
					moved = append(moved, rest[j+1])
				}
				corrected := joinArgs(globals, moved, path, without(rest, j, len(moved)))
				return &usageError{command: usage, msg: fmt.Sprintf(
					"global flag %s must come before the command name: %s", dashed(name), corrected)}
			}
			if len(positional) > 0 {
				return &usageError{command: usage, msg: "unknown flag " + dashed(name)}
			}
			continue // urfave reports it
		}
		group := []string{a}
		if f != nil && flagTakesValue(f) && !inline && j+1 < len(rest) {
			group = append(group, rest[j+1])
			j++
		}
		flags = append(flags, group...)
		if len(positional) > 0 {
			misplaced = append(misplaced, a)
		}
	}
	if len(misplaced) == 0 {
		return nil
	}
	corrected := joinArgs(globals, nil, path, append(flags, positional...))
	return &usageError{command: usage, msg: fmt.Sprintf(
		"flag %s must come before the arguments: %s", strings.Join(misplaced, ", "), corrected)}
}

// joinArgs renders a corrected command line.
func joinArgs(globals, moved, path, rest []string) string {
	parts := []string{"lsctl"}
	parts = append(parts, globals...)
	parts = append(parts, moved...)
	parts = append(parts, path...)
	parts = append(parts, rest...)
	return strings.Join(parts, " ")
}

// without returns s minus n elements starting at i.
func without(s []string, i, n int) []string {
	out := append([]string{}, s[:i]...)
	return append(out, s[i+n:]...)
}

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
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// flagTakesValue reports whether a flag consumes the next argument.
func flagTakesValue(f ucli.Flag) bool {
	_, isBool := f.(*ucli.BoolFlag)
	return !isBool
}
