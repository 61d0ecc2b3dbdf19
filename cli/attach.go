package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control"
	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/plan"
)

// attachSupervised is a foreground up of a stack that a background supervisor holds:
// the manifest is applied as `up -d` would (a new supervisor takes the stack over,
// recreating only what changed), then this terminal follows its lines and container
// logs, and Ctrl-C stops the stack as a foreground up does. attached is false when no
// supervisor holds the stack, and up runs in this process as usual.
func (s *session) attachSupervised(ctx context.Context, o upOptions, sigs <-chan os.Signal) (attached bool, err error) {
	m, _, _ := s.loadRaw(o.EnvFile)
	if m == nil || !m.Project.Name.Set {
		return false, nil
	}
	project := m.Project.Name.Value
	if cc, err := s.dialControl(ctx, project); err != nil || !cc.Info().Supervisor {
		return false, nil
	}
	if err := s.backgroundUp(ctx, o, sigs); err != nil {
		return true, err
	}
	cc, err := s.dialControl(ctx, project)
	if err != nil {
		return true, fmt.Errorf("attach to the background supervisor of project %q: it stopped answering on its control socket", project)
	}
	ld, err := s.load(o.EnvFile, false)
	if err != nil {
		return true, err
	}
	p, _ := s.readOnlyPlan(ld, false)
	if p == nil {
		return true, fmt.Errorf("attach to the background supervisor of project %q: the manifest no longer builds a plan", project)
	}
	return true, s.attach(ctx, cc, p, o, sigs)
}

// attach follows a supervised stack until it stops. The first signal asks the
// supervisor for the ordered shutdown, a second one for the kill, as in §12.8.
func (s *session) attach(ctx context.Context, cc *control.Client, p *plan.Plan, o upOptions, sigs <-chan os.Signal) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := cc.Events(ctx)
	if err != nil {
		return fmt.Errorf("attach to %s: %w", cc.Owner(), err)
	}
	out := render.NewLinePrinter(s.stdout, nil)
	out.Printf("[%s] attached to %s; Ctrl-C stops the stack", p.Project, cc.Owner())
	var stopLogs context.CancelFunc = func() {}
	if !o.Quiet {
		stopLogs = s.streamUpLogs(p, logSizes(s.opts.DataRoot, p), out)
	}
	defer func() { stopLogs() }()
	lines := render.NewEventLines(p, apiViewSource{ctx: ctx, cc: cc}, "")
	lines.MarkStarted()
	var firstSig os.Signal
	for {
		select {
		case sig := <-sigs:
			stopLogs()
			path := "/api/shutdown?grace=" + o.Grace.String()
			if firstSig != nil {
				path = "/api/shutdown?kill=1"
			} else {
				firstSig = sig
			}
			if err := cc.Post(ctx, path); err != nil {
				return fmt.Errorf("stop the stack: %w", err)
			}
		case e, ok := <-events:
			if !ok {
				if err := s.waitLockFree(ctx, p.Project, o.Grace+downExtraWait); err != nil {
					return err
				}
				if firstSig != nil {
					return signalExit(firstSig)
				}
				return nil
			}
			if line := lines.Render(e.ActorEvent()); line != "" {
				out.Printf("%s", line)
			}
		}
	}
}

// apiViewSource reads resource views from the owner's control API.
type apiViewSource struct {
	ctx context.Context
	cc  *control.Client
}

func (v apiViewSource) Get(name string) (actors.View, bool) {
	return v.cc.View(v.ctx, name)
}
