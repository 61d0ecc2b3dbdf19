package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control"
	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/manifest"
)

func (s *session) eventsCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "events",
		Usage:     "follow the stack's lifecycle events",
		UsageText: "lsctl events [--json] [--since D]",
		Description: "Events come from the running `lsctl up` or background supervisor, one line each " +
			"(`<ts> <resource> <event> [details]`), until Ctrl-C or the stack stops. The owner remembers " +
			"its last 1000 events for --since.",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "json", Usage: "print one JSON object per line (NDJSON), as the control API sends them"},
			&ucli.StringFlag{Name: "since", Usage: "first print the events of the last D (e.g. 10m), or since a time (RFC 3339)"},
		},
		Action: s.eventsAction,
	}
}

func (s *session) eventsAction(c *ucli.Context) error {
	if err := needArgs(c, 0, 0, ""); err != nil {
		return err
	}
	since, err := parseSince(c, time.Now())
	if err != nil {
		return err
	}
	ld, err := s.load("", false)
	if err != nil {
		return err
	}
	project := ld.manifest.Project.Name.Value
	cc, err := s.dialControl(c.Context, project)
	if err != nil {
		return fmt.Errorf("no lsctl up or background supervisor runs for project %q, and events come from it; start one with lsctl up -d", project)
	}
	return s.withSignals(c.Context, func(ctx context.Context) error {
		return s.printEvents(ctx, cc, since, c.Bool("json"))
	})
}

// parseSince reads --since: a duration back from now, or an RFC 3339 time; "" when
// not given.
func parseSince(c *ucli.Context, now time.Time) (string, error) {
	v := c.String("since")
	if v == "" {
		return "", nil
	}
	if d, err := manifest.ParseDuration(v); err == nil {
		return now.Add(-d).UTC().Format(actors.TimeFormat), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC().Format(actors.TimeFormat), nil
	}
	return "", usagef(c, "invalid value %q for --since: expected a duration such as 10m or 1h30m, or an RFC 3339 time", v)
}

// printEvents prints the owner's events until the stack stops or ctx ends.
func (s *session) printEvents(ctx context.Context, cc *control.Client, since string, asJSON bool) error {
	raw, err := cc.RawEvents(ctx, since)
	if err != nil {
		return fmt.Errorf("open the event stream of %s: %w", cc.Owner(), err)
	}
	out := render.NewLinePrinter(s.stdout, nil)
	for data := range raw {
		var e eventRecord
		if json.Unmarshal(data, &e) != nil {
			continue
		}
		if asJSON {
			out.Printf("%s", data)
		} else {
			out.Printf("%s", e.line(cc.Project()))
		}
		if e.Type == actors.StackStopped {
			return nil
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("the event stream of %s ended before the stack stopped", cc.Owner())
}

// eventRecord is an event with every field of docs/spec/runtime.md §13.1.
type eventRecord struct {
	Type        actors.EventType `json:"type"`
	Resource    string           `json:"resource"`
	TS          string           `json:"ts"`
	Image       string           `json:"image"`
	ContainerID string           `json:"container_id"`
	Error       string           `json:"error"`
	ExitCode    *int             `json:"exit_code"`
	Attempt     int              `json:"attempt"`
	Step        string           `json:"step"`
	WaitedS     int              `json:"waited_s"`
	Task        string           `json:"task"`
}

// line renders `<ts> <resource> <event> [details]`; stack events name the project in
// brackets, and event names drop their resource_/stack_ prefix.
func (e eventRecord) line(project string) string {
	subject, what := e.Resource, strings.TrimPrefix(string(e.Type), "resource_")
	if strings.HasPrefix(string(e.Type), "stack_") {
		subject, what = "["+project+"]", strings.TrimPrefix(string(e.Type), "stack_")
	}
	parts := []string{e.TS, subject, what}
	switch {
	case e.Image != "":
		parts = append(parts, "image="+e.Image)
	case e.ContainerID != "":
		parts = append(parts, "container="+e.ContainerID)
	case e.Type == actors.ResourceExited && e.ExitCode != nil:
		parts = append(parts, fmt.Sprintf("exit_code=%d", *e.ExitCode))
	case e.Type == actors.ResourceRestarting:
		parts = append(parts, fmt.Sprintf("attempt=%d", e.Attempt))
	case e.Type == actors.ResourceWaiting:
		parts = append(parts, fmt.Sprintf("step=%s waited_s=%d task=%s", e.Step, e.WaitedS, strconv.Quote(e.Task)))
	case e.Error != "":
		parts = append(parts, "error="+strconv.Quote(e.Error))
	}
	return strings.Join(parts, " ")
}
