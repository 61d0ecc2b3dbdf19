package cli

import (
	"errors"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/plan"
	"github.com/lightshuttle/lsctl/plan/export"
)

// exportCommand is `lsctl export compose|kubernetes|helm`, implemented by plan/export.
// The CLI supplies the plan, built as validate builds it: no secrets are generated and
// unset ${env.*} variables are tolerated, since an export carries no secret values.
func (s *session) exportCommand() *ucli.Command {
	return export.Command(func(c *ucli.Context) (*plan.Plan, error) {
		ld, err := s.load("", false)
		if err != nil {
			return nil, err
		}
		p, diags := plan.Build(ld.manifest, plan.Options{Env: ld.env, DataRoot: s.opts.DataRoot})
		render.WriteDiagnostics(s.stderr, diags)
		if diags.HasErrors() || p == nil {
			return nil, silentFailure()
		}
		return p, nil
	})
}

// asUsageError maps plan/export's usage errors onto the CLI's own, so they print and
// exit like every other usage error (docs/spec/runtime.md §16.1).
func asUsageError(err error) (*usageError, bool) {
	var ue *usageError
	if errors.As(err, &ue) {
		return ue, true
	}
	var eu *export.UsageError
	if errors.As(err, &eu) {
		return &usageError{command: eu.Command, msg: eu.Msg}, true
	}
	return nil, false
}
