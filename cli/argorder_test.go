package cli

import (
	"io"
	"slices"
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v2"
)

// These tests are generated from the command definitions: every flag of every command
// (hidden ones and subcommands included) is tried in every position, so a new command
// or flag is covered without touching this file (issue 15).

// cmdPath is a command reached by its names from the root.
type cmdPath struct {
	names []string
	cmd   *ucli.Command
}

// flagCommands lists the commands whose flags urfave parses: leaves of the command
// tree that do not set SkipFlagParsing.
func flagCommands(cmds []*ucli.Command, prefix []string) []cmdPath {
	var out []cmdPath
	for _, c := range cmds {
		names := append(slices.Clip(prefix), c.Name)
		switch {
		case c.SkipFlagParsing, takesCommandLine(c): // exec, run: exec_test.go
		case len(c.Subcommands) > 0:
			out = append(out, flagCommands(c.Subcommands, names)...)
		default:
			out = append(out, cmdPath{names, c})
		}
	}
	return out
}

// stubbedApp is lsctl's application with every leaf action replaced by one that
// records the context it ran with.
func stubbedApp() (*ucli.App, **ucli.Context) {
	s := &session{stdout: io.Discard, stderr: io.Discard, lookupEnv: func(string) (string, bool) { return "", false }}
	app := s.newApp()
	ran := new(*ucli.Context)
	var stub func([]*ucli.Command)
	stub = func(cmds []*ucli.Command) {
		for _, c := range cmds {
			if len(c.Subcommands) == 0 {
				c.Action = func(c *ucli.Context) error { *ran = c; return nil }
			}
			stub(c.Subcommands)
		}
	}
	stub(app.Commands)
	return app, ran
}

// sampleFlag is a flag written with a value urfave accepts for its type.
func sampleFlag(f ucli.Flag, name string) []string {
	if !flagTakesValue(f) {
		return []string{dashed(name)}
	}
	if _, ok := f.(*ucli.DurationFlag); ok {
		return []string{dashed(name), "1s"}
	}
	return []string{dashed(name), "1"}
}

// runOrdered reorders args, checks the result against want, runs it on a fresh stubbed
// app and returns the context of the command that ran.
func runOrdered(t *testing.T, args, want []string) *ucli.Context {
	t.Helper()
	app, ran := stubbedApp()
	got, err := reorderArgs(app, args)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("reorderArgs(%q) = %q, %v; want %q", args, got, err, want)
	}
	if err := app.Run(append([]string{"lsctl"}, got...)); err != nil || *ran == nil {
		t.Fatalf("run %q: %v (ran: %v)", got, err, *ran != nil)
	}
	return *ran
}

// rootContext is the context of the application's own flags.
func rootContext(t *testing.T, c *ucli.Context) *ucli.Context {
	t.Helper()
	for _, cc := range c.Lineage() {
		if cc.Command != nil && cc.Command.Name == c.App.Name {
			return cc
		}
	}
	t.Fatalf("no root context in the lineage of %s", c.Command.Name)
	return nil
}

// Every command flag, under every name, before, between and after two positional
// arguments, as separate words and inline (--name=value), parses as that flag.
func TestReorderCommandFlags(t *testing.T) {
	app, _ := stubbedApp()
	for _, cp := range flagCommands(app.Commands, nil) {
		for _, f := range cp.cmd.Flags {
			for _, name := range f.Names() {
				words := sampleFlag(f, name)
				forms := [][]string{words}
				if len(words) == 2 {
					forms = append(forms, []string{words[0] + "=" + words[1]})
				}
				for _, form := range forms {
					for at := 0; at <= 2; at++ {
						rest := slices.Insert([]string{"p1", "p2"}, at, form...)
						args := append(slices.Clip(cp.names), rest...)
						want := slices.Concat(cp.names, form, []string{"p1", "p2"})
						c := runOrdered(t, args, want)
						if c.Command.Name != cp.cmd.Name || !c.IsSet(f.Names()[0]) || !slices.Equal(c.Args().Slice(), []string{"p1", "p2"}) {
							t.Errorf("%q: ran %s, %s set %v, args %q", args, c.Command.Name, f.Names()[0], c.IsSet(f.Names()[0]), c.Args().Slice())
						}
					}
				}
			}
		}
	}
}

// Every global flag after the command name moves before it, unless the command defines
// the same name: then it stays the command's.
func TestReorderGlobalFlags(t *testing.T) {
	app, _ := stubbedApp()
	for _, cp := range flagCommands(app.Commands, nil) {
		for _, g := range app.Flags {
			for _, name := range g.Names() {
				words := sampleFlag(g, name)
				args := slices.Concat(cp.names, []string{"p1"}, words)
				if own := findFlag(cp.cmd.Flags, name); own != nil {
					ownWords := sampleFlag(own, name)
					args = slices.Concat(cp.names, []string{"p1"}, ownWords)
					c := runOrdered(t, args, slices.Concat(cp.names, ownWords, []string{"p1"}))
					if rootContext(t, c).IsSet(g.Names()[0]) || !c.IsSet(own.Names()[0]) {
						t.Errorf("%q: the command's own %s should win over the global flag", args, dashed(name))
					}
					continue
				}
				c := runOrdered(t, args, slices.Concat(words, cp.names, []string{"p1"}))
				if !rootContext(t, c).IsSet(g.Names()[0]) || !slices.Equal(c.Args().Slice(), []string{"p1"}) {
					t.Errorf("%q: global %s not set at the root, args %q", args, g.Names()[0], c.Args().Slice())
				}
			}
		}
	}
}

// `--` ends the flags: the words after it stay arguments, flag-shaped or not, and
// the flags before it still count.
func TestReorderDoubleDash(t *testing.T) {
	app, _ := stubbedApp()
	for _, cp := range flagCommands(app.Commands, nil) {
		args := slices.Concat(cp.names, []string{"p1", "--help", "--", "-x", "--", "--help"})
		want := slices.Concat(cp.names, []string{"--help", "--", "p1", "-x", "--", "--help"})
		got, err := reorderArgs(app, args)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("reorderArgs(%q) = %q, %v; want %q", args, got, err, want)
		}
		args = slices.Concat(cp.names, []string{"p1", "--", "-x"})
		c := runOrdered(t, args, slices.Concat(cp.names, []string{"--", "p1", "-x"}))
		if !slices.Equal(c.Args().Slice(), []string{"p1", "-x"}) {
			t.Errorf("%q: args %q", args, c.Args().Slice())
		}
	}
}

// Commands that parse their own arguments (SkipFlagParsing), unknown commands and
// lines starting with an unknown flag are left exactly as written.
func TestReorderLeavesAlone(t *testing.T) {
	app, _ := stubbedApp()
	var skipping []string
	var walk func([]*ucli.Command, []string)
	walk = func(cmds []*ucli.Command, prefix []string) {
		for _, c := range cmds {
			names := append(slices.Clip(prefix), c.Name)
			if c.SkipFlagParsing {
				skipping = append(skipping, strings.Join(names, " "))
			}
			walk(c.Subcommands, names)
		}
	}
	walk(app.Commands, nil)
	if len(skipping) == 0 {
		t.Fatal("no SkipFlagParsing command found (the hidden __log-driver is one)")
	}
	lines := [][]string{{"frobnicate", "x", "--detach"}, {"--bogus", "logs", "x", "-f"}, {"help", "logs", "--follow"}}
	for _, s := range skipping {
		lines = append(lines, append(strings.Fields(s), "a", "--detach", "-f", "x", "--", "-y"))
		lines = append(lines, append([]string{"--namespace", "n"}, append(strings.Fields(s), "a", "-f", "x")...))
	}
	for _, args := range lines {
		if got, err := reorderArgs(app, args); err != nil || !slices.Equal(got, args) {
			t.Errorf("reorderArgs(%q) = %q, %v; want it unchanged", args, got, err)
		}
	}
}

// Flags written between a parent command and its subcommand, and global flags after
// the subcommand, reach the right place.
func TestReorderSubcommands(t *testing.T) {
	for _, tt := range []struct{ args, want []string }{
		{[]string{"secrets", "-f", "x.yml", "check"}, []string{"-f", "x.yml", "secrets", "check"}},
		{[]string{"secrets", "check", "--namespace", "n", "--env-file", "e"}, []string{"--namespace", "n", "secrets", "check", "--env-file", "e"}},
		{[]string{"images", "load", "-", "--address", "a"}, []string{"--address", "a", "images", "load", "-"}},
		{[]string{"images", "rm", "x", "--address", "a"}, []string{"images", "rm", "x", "--address", "a"}}, // unknown subcommand: as written
	} {
		app, _ := stubbedApp()
		if got, err := reorderArgs(app, tt.args); err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("reorderArgs(%q) = %q, %v; want %q", tt.args, got, err, tt.want)
		}
	}
}
