package cli

import (
	"context"
	"fmt"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control"
	"github.com/lightshuttle/lsctl/plan"
)

// startControl opens the project socket (and the dashboard listener when asked:
// dashboardPort >= 0, else the manifest's dashboard.port) before the stack starts
// (docs/spec/runtime.md §15.1), and prints the dashboard's URL.
func (s *session) startControl(p *plan.Plan, cp control.Plane, dashboardPort int, own *control.Owner, tel *telemetry) (*control.Server, error) {
	if dashboardPort < 0 && p.Manifest != nil && p.Manifest.Dashboard != nil && p.Manifest.Dashboard.Port.Set {
		dashboardPort = int(p.Manifest.Dashboard.Port.Value)
	}
	srv, err := control.Start(control.Config{DataRoot: s.opts.DataRoot, Project: p.Project, Plane: cp,
		DashboardPort: dashboardPort, Owner: own, Telemetry: tel.api()})
	if err != nil {
		return nil, err
	}
	if srv.Dashboard != "" {
		fmt.Fprintf(s.stdout, "[%s] dashboard: %s\n", p.Project, srv.Dashboard)
	}
	return srv, nil
}

// dialControl returns a client when an `up` answers GET /healthz for project
// (docs/spec/runtime.md §12.9), else control.ErrNoUp.
func (s *session) dialControl(ctx context.Context, project string) (*control.Client, error) {
	return control.Dial(ctx, s.opts.DataRoot, project)
}

// apiViews reads the views from a running `up` and what its GET /healthz said (which
// process owns the stack, whether its containerd answers), or control.ErrNoUp.
func (s *session) apiViews(ctx context.Context, project string) ([]actors.View, control.OwnerInfo, error) {
	c, err := s.dialControl(ctx, project)
	if err != nil {
		return nil, control.OwnerInfo{}, err
	}
	views, err := c.Views(ctx)
	if err != nil {
		return nil, control.OwnerInfo{}, err
	}
	return views, c.Info(), nil
}
