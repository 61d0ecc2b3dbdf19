package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// usageError is a command-line usage problem: printed with a pointer to the command's
// help and exit code 2 (docs/spec/runtime.md §16.1).
type usageError struct {
	command string // "lsctl restart", "lsctl secrets check", or "lsctl"
	msg     string
}

func (e *usageError) Error() string { return e.msg }

// exitError ends a command with a specific exit code. An empty msg means the command
// has already printed what the user needs to see.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// silentFailure is exit 1 after the command printed its own diagnostics.
func silentFailure() error { return &exitError{code: 1} }

// report prints err per docs/spec/runtime.md §16.2 and returns the exit code.
func (s *session) report(err error) int {
	if err == nil {
		return 0
	}
	if ue, ok := asUsageError(err); ok {
		fmt.Fprintf(s.stderr, "error: %s\nRun \"%s --help\" for usage.\n", ue.msg, ue.command)
		return 2
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(s.stderr, "error: %s\n", ee.msg)
		}
		return ee.code
	}
	// Joined errors carry newlines; §16.2 joins a cause chain with ": " on one line.
	fmt.Fprintf(s.stderr, "error: %s\n", strings.ReplaceAll(err.Error(), "\n", ": "))
	return 1
}

// usagef builds a usageError for the command of c.
func usagef(c *ucli.Context, format string, a ...any) error {
	return &usageError{command: commandPath(c), msg: fmt.Sprintf(format, a...)}
}

// commandPath is "lsctl" followed by the names of the commands being run.
func commandPath(c *ucli.Context) string {
	var names []string
	for _, cc := range c.Lineage() {
		if cc.Command != nil && cc.Command.Name != "" && cc.Command.Name != "lsctl" {
			names = append(names, cc.Command.Name)
		}
	}
	slices.Reverse(names)
	return strings.TrimSpace("lsctl " + strings.Join(names, " "))
}

// onUsageError turns urfave's flag parsing errors into usage errors.
func onUsageError(c *ucli.Context, err error, _ bool) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		msg = "unknown flag " + dashed(strings.TrimLeft(name, "-"))
	}
	if names, ok := strings.CutPrefix(msg, "Cannot use two forms of the same flag: "); ok {
		var forms []string
		for _, n := range strings.Fields(names) {
			forms = append(forms, dashed(n))
		}
		msg = strings.Join(forms, " and ") + " are the same flag; give only one"
	}
	return usagef(c, "%s", msg)
}

// unknownCommand reports a command name that does not exist, with a suggestion.
func unknownCommand(app *ucli.App, name string) error {
	var names []string
	for _, c := range app.Commands {
		if !c.Hidden {
			names = append(names, c.Name)
		}
	}
	msg := fmt.Sprintf("unknown command %q", name)
	if s := closest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return &usageError{command: "lsctl", msg: msg}
}

// missingSubcommand is the action of a command that only groups subcommands.
func missingSubcommand(c *ucli.Context) error {
	var names []string
	for _, sub := range c.Command.Subcommands {
		if sub.Name != "help" {
			names = append(names, sub.Name)
		}
	}
	if c.Args().Present() {
		return usagef(c, "unknown command %q for %q; expected %s", c.Args().First(), commandPath(c), strings.Join(names, ", "))
	}
	return usagef(c, "missing command; expected %s", strings.Join(names, ", "))
}

// needArgs checks the number of positional arguments (max < 0: unbounded).
func needArgs(c *ucli.Context, min, max int, what string) error {
	n := c.Args().Len()
	switch {
	case n < min:
		return usagef(c, "missing argument %s", what)
	case max >= 0 && n > max:
		return usagef(c, "unexpected argument %q", c.Args().Get(max))
	}
	return nil
}

// dashed renders a flag name with its dashes: "f" -> "-f", "file" -> "--file".
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// closest returns the candidate within a small edit distance of name, or "".
func closest(name string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestD || (d == bestD && best != "" && c < best) {
			best, bestD = c, d
		}
	}
	if bestD > 2 || (len(name) <= 3 && bestD > 1) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
