package cli

import (
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/plan"
)

// validateAction builds the full plan offline (docs/spec/manifest.md §26, docs/spec/runtime.md §16.8):
// no required variables, no generated secrets, no containerd.
func (s *session) validateAction(c *ucli.Context) error {
	if err := needArgs(c, 0, 0, ""); err != nil {
		return err
	}
	format, err := enumFlag(c, "format", "text", "json")
	if err != nil {
		return err
	}
	m, env, diags := s.loadRaw(s.opts.EnvFile)
	if m != nil && !diags.HasErrors() {
		_, planDiags := plan.Build(m, plan.Options{Env: env, DataRoot: s.opts.DataRoot})
		diags = append(diags, planDiags...)
	}
	if c.Bool("strict") {
		diags = diags.Strict()
	}
	diags.Sort()
	project, count := "", 0
	if m != nil {
		project, count = m.Project.Name.Value, len(m.Resources)
	}
	if format == "json" {
		if err := render.WriteValidateJSON(s.stdout, render.NewValidateReport(project, count, diags)); err != nil {
			return err
		}
		if diags.HasErrors() {
			return silentFailure()
		}
		return nil
	}
	render.WriteDiagnostics(s.stderr, diags)
	if diags.HasErrors() {
		return silentFailure()
	}
	fmt.Fprintf(s.stdout, "ok: project `%s` with %d resource(s)\n", project, count)
	return nil
}
