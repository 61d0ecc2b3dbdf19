package cli

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v2"
)

// FuzzArgs parses arbitrary command lines with every action replaced by a no-op:
// argument reordering and flag parsing must never panic (bad input never panics), and
// reordering an already ordered line changes nothing.
func FuzzArgs(f *testing.F) {
	for _, seed := range []string{"restart db --detach", "-f x up --pull sometimes", "logs -- -x", "--namespace", "secrets check --env-file",
		"up --grace 1..2s", "completion", "images load - extra", "-f", "help logs", "logs --tail=-3 db -F",
		"logs db -f --tail", "secrets check -f x --env-file", "up --no-otel --control-port 1", "logs a -- b -c", "-V"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		s := &session{stdout: io.Discard, stderr: io.Discard, lookupEnv: func(string) (string, bool) { return "", false }}
		app := s.newApp()
		noop := func(*ucli.Context) error { return nil }
		var stub func(cmds []*ucli.Command)
		stub = func(cmds []*ucli.Command) {
			for _, c := range cmds {
				if c.Action != nil && len(c.Subcommands) == 0 {
					c.Action = noop
				}
				stub(c.Subcommands)
			}
		}
		stub(app.Commands)
		ordered, err := reorderArgs(app, args)
		if err != nil {
			s.report(err)
			return
		}
		if again, _ := reorderArgs(app, ordered); !slices.Equal(again, ordered) {
			t.Fatalf("reordering is not stable: %q -> %q -> %q", args, ordered, again)
		}
		s.report(app.RunContext(context.Background(), append([]string{"lsctl"}, ordered...)))
	})
}
