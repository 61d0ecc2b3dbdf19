package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

func (s *session) completionCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script (bash, zsh or fish)",
		UsageText: "lsctl completion bash|zsh|fish",
		Action: func(c *ucli.Context) error {
			if err := needArgs(c, 1, 1, "SHELL (bash, zsh or fish)"); err != nil {
				return err
			}
			switch shell := c.Args().First(); shell {
			case "bash":
				writeBashCompletion(s.stdout, c.App)
			case "zsh":
				fmt.Fprint(s.stdout, "#compdef lsctl\n# zsh completion for lsctl (uses the bash completion through bashcompinit)\nautoload -U +X bashcompinit && bashcompinit\n")
				writeBashCompletion(s.stdout, c.App)
			case "fish":
				writeFishCompletion(s.stdout, c.App)
			default:
				return usagef(c, "unknown shell %q: expected bash, zsh or fish", shell)
			}
			return nil
		},
	}
}

// completionCommands lists the visible commands with their flag and subcommand words.
func completionCommands(app *ucli.App) (names []string, words map[string][]string) {
	words = map[string][]string{}
	for _, c := range app.Commands {
		if c.Hidden {
			continue
		}
		names = append(names, c.Name)
		var w []string
		for _, sub := range c.Subcommands {
			w = append(w, sub.Name)
			words[c.Name+" "+sub.Name] = flagWords(sub.Flags)
		}
		if c.Name == "completion" {
			w = append(w, "bash", "zsh", "fish")
		}
		words[c.Name] = append(w, flagWords(c.Flags)...)
	}
	return names, words
}

func flagWords(flags []ucli.Flag) []string {
	var w []string
	for _, f := range flags {
		for _, n := range f.Names() {
			w = append(w, dashed(n))
		}
	}
	return append(w, "--help")
}

// valueGlobalFlags are the global flags that consume the next word.
func valueGlobalFlags() []string {
	var out []string
	for _, f := range globalFlags() {
		if flagTakesValue(f) {
			for _, n := range f.Names() {
				out = append(out, dashed(n))
			}
		}
	}
	return out
}

func writeBashCompletion(w io.Writer, app *ucli.App) {
	names, words := completionCommands(app)
	fmt.Fprintf(w, `# bash completion for lsctl
_lsctl() {
  local cur="${COMP_WORDS[COMP_CWORD]}" cmd="" sub="" i skip=0 file="" prev=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    local w="${COMP_WORDS[i]}"
    if ((skip)); then skip=0; [ "$prev" = -f ] || [ "$prev" = --file ] && file="$w"; continue; fi
    prev="$w"
    case "$w" in
      --file=*) [ -z "$cmd" ] && file="${w#--file=}" ;;
      %s) [ -z "$cmd" ] && skip=1 ;;
      -*) ;;
      *) if [ -z "$cmd" ]; then cmd="$w"; elif [ -z "$sub" ]; then sub="$w"; fi ;;
    esac
  done
  local words
  case "$cmd $sub" in
`, strings.Join(valueGlobalFlags(), "|"))
	for _, key := range slices.Sorted(maps.Keys(words)) {
		if strings.Contains(key, " ") {
			fmt.Fprintf(w, "    %q) words=%q ;;\n", key, strings.Join(words[key], " "))
		}
	}
	for _, key := range slices.Sorted(maps.Keys(words)) {
		if !strings.Contains(key, " ") {
			fmt.Fprintf(w, "    %q) words=%q ;;\n", key+" ", strings.Join(words[key], " "))
			fmt.Fprintf(w, "    %q*) words=%q ;;\n", key+" ", strings.Join(words[key], " "))
		}
	}
	global := append(append([]string{}, names...), flagWords(globalFlags())...)
	fmt.Fprintf(w, "    *) words=%q ;;\n  esac\n", strings.Join(append(global, "--version"), " "))
	// Resource names come from the manifest at completion time.
	// cp completes RESOURCE: and the path after it is the user's.
	fmt.Fprintf(w, "  local suffix=\"\"\n  [ \"$cmd\" = cp ] && suffix=: && compopt -o nospace 2>/dev/null\n")
	fmt.Fprintf(w, "  case \"$cmd\" in\n    %s) [[ \"$cur\" == -* ]] || words=\"$words $(\"${COMP_WORDS[0]}\" ${file:+-f \"$file\"} %s $suffix 2>/dev/null)\" ;;\n  esac\n",
		strings.Join(resourceArgCommands(app), "|"), completeResourcesCommand)
	fmt.Fprint(w, "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n}\ncomplete -o default -F _lsctl lsctl\n")
}

func writeFishCompletion(w io.Writer, app *ucli.App) {
	names, _ := completionCommands(app)
	fmt.Fprintln(w, "# fish completion for lsctl")
	fmt.Fprintf(w, "complete -c lsctl -f -n __fish_use_subcommand -a %q\n", strings.Join(names, " "))
	for _, f := range globalFlags() {
		fmt.Fprintf(w, "complete -c lsctl -n __fish_use_subcommand%s\n", fishFlag(f))
	}
	for _, c := range app.Commands {
		if c.Hidden {
			continue
		}
		cond := " -n '__fish_seen_subcommand_from " + c.Name + "'"
		for _, sub := range c.Subcommands {
			fmt.Fprintf(w, "complete -c lsctl -f%s -a %s\n", cond, sub.Name)
		}
		if c.Name == "completion" {
			fmt.Fprintf(w, "complete -c lsctl -f%s -a 'bash zsh fish'\n", cond)
		}
		if slices.Contains(resourceArgCommands(app), c.Name) {
			suffix := ""
			if c.Name == "cp" {
				suffix = " :"
			}
			fmt.Fprintf(w, "complete -c lsctl -f%s -a '(lsctl %s%s 2>/dev/null)'\n", cond, completeResourcesCommand, suffix)
		}
		for _, f := range c.Flags {
			fmt.Fprintf(w, "complete -c lsctl%s%s\n", cond, fishFlag(f))
		}
	}
}

func fishFlag(f ucli.Flag) string {
	var b strings.Builder
	for _, n := range f.Names() {
		if len(n) == 1 {
			b.WriteString(" -s " + n)
		} else {
			b.WriteString(" -l " + n)
		}
	}
	if flagTakesValue(f) {
		b.WriteString(" -r")
	}
	if u, ok := f.(ucli.DocGenerationFlag); ok && u.GetUsage() != "" {
		fmt.Fprintf(&b, " -d %q", strings.ReplaceAll(u.GetUsage(), "$", ""))
	}
	return b.String()
}
