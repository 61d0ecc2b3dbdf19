package cli

import (
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// cliMarkdown renders docs/cli.md from the command definitions, so the reference can
// never drift from the code (TestDocsInSync).
func cliMarkdown() string {
	app := (&session{}).newApp()
	var b strings.Builder
	b.WriteString("# lsctl command reference\n\n")
	b.WriteString("<!-- Generated from cli/*.go by `go test ./cli -run TestDocsInSync -update`. Do not edit. -->\n\n")
	fmt.Fprintf(&b, "`%s`\n\n", app.UsageText)
	b.WriteString(app.Description + "\n\n")
	b.WriteString("`-v`, `-V` and `--version` print the version; `-h` and `--help` the help of any command.\n")
	b.WriteString("Durations (`--grace`, `--wait-timeout`) take a number and a unit (`ns`, `us`, `ms`, `s`, `m`,\n")
	b.WriteString("`h`) or several in a row (`1m30s`, `1h5m`). Usage errors exit 2, failures exit 1, `up`,\n")
	b.WriteString("`logs -f` and a waiting `restart` exit 130 on SIGINT and 143 on SIGTERM.\n\n")
	b.WriteString("## Global options\n\n")
	writeFlagTable(&b, app.Flags)
	b.WriteString("\n`LSCTL_LOG` (`debug`, `info`, `warn`, `error`; default `warn`) sets the level of lsctl's own log on stderr.\n")
	b.WriteString("`LSCTL_PROFILE_DIR=<dir>` makes every lsctl process write a CPU profile and an execution trace there (docs/troubleshooting.md, \"Profiling lsctl\").\n")
	for _, c := range app.Commands {
		if c.Hidden {
			continue
		}
		writeCommandDoc(&b, c, "lsctl "+c.Name)
	}
	return b.String()
}

func writeCommandDoc(b *strings.Builder, c *ucli.Command, full string) {
	if len(c.Subcommands) > 0 {
		for _, sub := range c.Subcommands {
			if sub.Name != "help" {
				writeCommandDoc(b, sub, full+" "+sub.Name)
			}
		}
		return
	}
	fmt.Fprintf(b, "\n## %s\n\n%s.\n\n```\n%s\n```\n", full, upperFirst(c.Usage), c.UsageText)
	if c.Description != "" {
		fmt.Fprintf(b, "\n%s\n", c.Description)
	}
	if len(c.Flags) > 0 {
		b.WriteString("\n")
		writeFlagTable(b, c.Flags)
	}
}

func writeFlagTable(b *strings.Builder, flags []ucli.Flag) {
	b.WriteString("| Option | Default | Meaning |\n|---|---|---|\n")
	for _, f := range flags {
		var names []string
		for _, n := range f.Names() {
			names = append(names, dashed(n))
		}
		def := ""
		if d, ok := f.(ucli.DocGenerationFlag); ok {
			def = d.GetDefaultText()
			if def == "" && d.TakesValue() {
				def = strings.Trim(d.GetValue(), `"`)
			}
		}
		def = strings.Trim(def, `"`)
		if def == "false" || def == "0" {
			def = ""
		}
		usage := ""
		if d, ok := f.(ucli.DocGenerationFlag); ok {
			usage = d.GetUsage()
		}
		if def != "" {
			def = "`" + def + "`"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s |\n", strings.Join(names, ", "), def, mdEscape(usage))
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// mdEscape keeps table cells intact and angle-bracket placeholders visible.
func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;").Replace(s)
}
