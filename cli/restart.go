package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/lightshuttle/lsctl/cli/control"
	ucli "github.com/urfave/cli/v2"
)

func (s *session) restartAction(c *ucli.Context) error {
	o, err := parseRestartOptions(c)
	if err != nil {
		return err
	}
	ld, err := s.load("", false)
	if err != nil {
		return err
	}
	project := ld.manifest.Project.Name.Value
	if cc, err := s.dialControl(c.Context, project); err == nil {
		hasHealth := true
		if p, _ := s.readOnlyPlan(ld, false); p != nil && p.Node(o.Resource) != nil {
			hasHealth = p.Node(o.Resource).Health != nil
		}
		return s.restartViaAPI(c.Context, cc, project, o, hasHealth)
	}
	return s.restartDirect(c.Context, ld, o.Resource)
}

// restartViaAPI asks the running `up` to restart a resource (docs/spec/runtime.md §16.7): the
// event stream is opened first so no event of the restart can be missed.
func (s *session) restartViaAPI(ctx context.Context, cc *control.Client, project string, o restartOptions, hasHealth bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := cc.Events(ctx)
	if err != nil {
		return fmt.Errorf("restart %q: open the event stream of lsctl up: %w", o.Resource, err)
	}
	code, body, err := cc.PostRestart(ctx, o.Resource)
	if err != nil {
		return fmt.Errorf("restart %q: %w", o.Resource, err)
	}
	switch code {
	case http.StatusAccepted:
	case http.StatusNotFound:
		return fmt.Errorf("unknown resource %q in project %q", o.Resource, project)
	case http.StatusConflict:
		if body.Error == "restart already in progress" {
			return fmt.Errorf("a restart of %q is already in progress", o.Resource)
		}
		return fmt.Errorf("cannot restart %q: %s", o.Resource, body.Error)
	default:
		return fmt.Errorf("restart %q: lsctl up answered HTTP %d: %s", o.Resource, code, body.Error)
	}
	fmt.Fprintf(s.stdout, "%s: restart accepted\n", o.Resource)
	if o.Detach {
		return nil
	}
	sigs, stop := s.notifySignals()
	defer stop()
	return s.followRestart(events, sigs, o.Resource, hasHealth)
}

// followRestart prints the resource's restart events until it is ready or failed.
func (s *session) followRestart(events <-chan control.Event, sigs <-chan os.Signal, r string, hasHealth bool) error {
	for {
		select {
		case sig := <-sigs:
			return signalExit(sig)
		case e, ok := <-events:
			if !ok {
				return fmt.Errorf("restart of %q: the event stream of lsctl up ended before the resource was ready", r)
			}
			if e.Resource != r {
				continue
			}
			switch e.Type {
			case "resource_stopped":
				fmt.Fprintf(s.stdout, "%s: stopped\n", r)
			case "resource_started":
				fmt.Fprintf(s.stdout, "%s: started\n", r)
			case "resource_healthy":
				if hasHealth {
					fmt.Fprintf(s.stdout, "%s: healthy\n", r)
				} else {
					fmt.Fprintf(s.stdout, "%s: running\n", r)
				}
				return nil
			case "resource_failed":
				return fmt.Errorf("restart of %q failed: %s", r, e.Error)
			}
		}
	}
}
