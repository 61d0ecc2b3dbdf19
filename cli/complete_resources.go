package cli

import (
	"fmt"
	"slices"

	ucli "github.com/urfave/cli/v2"
)

// resourcesCommand is the hidden command the completion scripts call to complete
// resource names: the manifest's names, one a line, and nothing at all (exit 0) when
// there is no readable manifest, so a shell never shows an error while completing.
// An argument is appended to every name (`:` for cp).
func (s *session) resourcesCommand() *ucli.Command {
	return &ucli.Command{
		Name:   completeResourcesCommand,
		Hidden: true,
		Action: func(c *ucli.Context) error {
			m, _, _ := s.loadRaw("")
			if m == nil {
				return nil
			}
			for _, name := range declaredResources(m) {
				fmt.Fprintln(s.stdout, name+c.Args().First()) // `:` for cp's RESOURCE:PATH
			}
			return nil
		},
	}
}

// completeResourcesCommand is the name of resourcesCommand.
const completeResourcesCommand = "__resources"

// resourceArgCommands are the commands whose arguments are resource names (cp takes
// RESOURCE:PATH); the completion scripts offer the manifest's names for them.
func resourceArgCommands(app *ucli.App) []string {
	var out []string
	for _, name := range []string{"logs", "restart", "build", "exec", "run", "stop", "start", "kill", "stats", "top", "port", "cp"} {
		if slices.ContainsFunc(app.Commands, func(c *ucli.Command) bool { return c.Name == name }) {
			out = append(out, name)
		}
	}
	return out
}
