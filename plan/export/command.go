package export

import (
	"fmt"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/plan"
)

// UsageError is a command-line mistake (unknown target, stray argument): exit code 2
// (docs/spec/runtime.md §16.1). It implements urfave's ExitCoder.
type UsageError struct {
	Command string // "lsctl export"
	Msg     string
}

func (e *UsageError) Error() string { return e.Msg }

// ExitCode is 2, the usage-error exit code.
func (e *UsageError) ExitCode() int { return 2 }

// Loader builds the plan of the manifest named by the global flags (--file, --env-file).
type Loader func(c *ucli.Context) (*plan.Plan, error)

// Command is `lsctl export compose|kubernetes|helm [-o DIR] [--force]`: one subcommand
// per target, so that flags may follow the target. Any other target is a UsageError.
func Command(load Loader) *ucli.Command {
	cmd := &ucli.Command{
		Name:      "export",
		Usage:     "write the stack as a docker compose file, Kubernetes manifests or a Helm chart",
		ArgsUsage: "compose|kubernetes|helm",
		Action: func(c *ucli.Context) error {
			if c.Args().Present() {
				return &UsageError{Command: "lsctl export", Msg: fmt.Sprintf("unknown export target %q; expected one of %s", c.Args().First(), strings.Join(Targets(), ", "))}
			}
			return &UsageError{Command: "lsctl export", Msg: "missing export target; expected one of " + strings.Join(Targets(), ", ")}
		},
	}
	for _, t := range Targets() {
		cmd.Subcommands = append(cmd.Subcommands, targetCommand(t, load))
	}
	return cmd
}

// targetCommand is `lsctl export <target>`.
func targetCommand(target string, load Loader) *ucli.Command {
	return &ucli.Command{
		Name:  target,
		Usage: "export to " + target + " (default directory ./export/" + target + " beside the manifest)",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "output `DIR` (default: <manifest dir>/export/" + target + ")"},
			&ucli.BoolFlag{Name: "force", Usage: "write into a non-empty directory, replacing files of the same name"},
		},
		Action: func(c *ucli.Context) error {
			if c.Args().Present() {
				return &UsageError{Command: "lsctl export " + target, Msg: fmt.Sprintf("unexpected argument %q", c.Args().First())}
			}
			p, err := load(c)
			if err != nil {
				return err
			}
			dir := c.String("output")
			if dir == "" {
				dir = filepath.Join(p.ManifestDir, "export", target)
			}
			res, err := WriteResult(p, target, dir, c.Bool("force"))
			if err != nil {
				return err
			}
			for _, w := range res.Warnings {
				fmt.Fprintf(c.App.ErrWriter, "warning: %s\n", w)
			}
			fmt.Fprintf(c.App.Writer, "ok: wrote %d file(s) for %s to %s\n", len(res.Files), target, dir)
			return nil
		},
	}
}
