package cli

import (
	"context"
	"fmt"
	"net/url"
	"syscall"

	"github.com/moby/sys/signal"
	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control"
	"github.com/lightshuttle/lsctl/containerdrt"
)

func (s *session) killCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "kill",
		Usage:     "send a signal to resources' containers",
		UsageText: "lsctl kill [-s SIGNAL] [RESOURCE...]",
		Description: "No name signals every running resource. A resource whose task ends within the stop grace after " +
			"the signal counts as stopped by hand: its restart policy leaves it stopped until `lsctl start`. With no " +
			"owner, lsctl waits up to that grace (10s) for the task to end, to record it so.",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "signal", Aliases: []string{"s"}, Value: "KILL", Usage: "signal name (TERM, SIGHUP, ...) or number"},
		},
		Action: s.killAction,
	}
}

func (s *session) killAction(c *ucli.Context) error {
	sig, err := signal.ParseSignal(c.String("signal"))
	if err != nil {
		return usagef(c, "invalid value %q for --signal: expected a signal name such as KILL, TERM or HUP, or its number", c.String("signal"))
	}
	ld, names, err := s.loadNamed(c)
	if err != nil {
		return err
	}
	views, cc, err := s.resourceViews(c.Context, ld)
	if err != nil {
		return err
	}
	targets, err := runningTargets(ld, views, names)
	if err != nil {
		return err
	}
	send := func(ctx context.Context, v actors.View) (bool, error) { return killViaAPI(ctx, cc, v.Name, sig) }
	if cc == nil {
		// No owner: lsctl itself records a kill that ends the task as a stop by hand,
		// under the project lock as stop does.
		lock, err := containerdrt.LockProject(s.opts.DataRoot, ld.manifest.Project.Name.Value, "kill")
		if err != nil {
			return err
		}
		defer lock.Release()
		rt, err := s.connect(c.Context, containerdrt.PullMissing, false)
		if err != nil {
			return err
		}
		defer rt.Close()
		send = func(ctx context.Context, v actors.View) (bool, error) {
			return rt.KillByHand(ctx, *v.ContainerID, sig, defaultGrace)
		}
	}
	for _, v := range targets {
		handled, err := send(c.Context, v)
		if err != nil {
			return err
		}
		fmt.Fprintf(s.stdout, "%s: sent %s\n", v.Name, control.SignalName(sig))
		if !handled {
			fmt.Fprintf(s.stderr, "warning: PID 1 of %s has no handler for %s, so the kernel drops it; lsctl kill %s ends it\n", v.Name, control.SignalName(sig), v.Name)
		}
	}
	return nil
}

// killViaAPI asks the stack's owner to send the signal, so that it knows why the
// task ends.
func killViaAPI(ctx context.Context, cc *control.Client, name string, sig syscall.Signal) (bool, error) {
	code, body, err := cc.PostHand(ctx, name, "kill", url.Values{"signal": {fmt.Sprint(int(sig))}})
	if err != nil {
		return false, err
	}
	if code != 200 {
		return false, handRefused(cc, "kill", name, code, body)
	}
	return body.Handled, nil
}
