package cli

import (
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/manifest"
)

// envView is what lsctl reads of a loaded environment (docs/spec/manifest.md §25): the resolved
// value of a variable and where it came from.
type envView interface {
	Lookup(name string) (string, bool)
	// Source is ".env" for the dotenv file, "env" for the process environment.
	Source(name string) string
}

// varStatus is one row of `secrets check`.
type varStatus struct {
	Name   string
	Status string
}

// varUsage accumulates what the references to one variable say.
type varUsage struct {
	reachedNoDefault bool
	reached          bool
	defaults         map[string]bool
}

// checkVariables computes the §25 status of every variable referenced in the resources'
// interpolated fields, sorted by name; missing lists the required unset ones.
func checkVariables(resources []*manifest.Resource, env envView) (rows []varStatus, missing []string) {
	usage := map[string]*varUsage{}
	for _, r := range resources {
		for _, f := range r.Interpolated() {
			t, err := manifest.ParseTemplate(f.Text)
			if err != nil {
				continue // reported by validation
			}
			for _, u := range t.EnvUses(env.Lookup) {
				vu := usage[u.Name]
				if vu == nil {
					vu = &varUsage{defaults: map[string]bool{}}
					usage[u.Name] = vu
				}
				if !u.Reached {
					continue
				}
				vu.reached = true
				if u.HasDefault {
					vu.defaults[u.Default] = true
				} else {
					vu.reachedNoDefault = true
				}
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(usage)) {
		st := variableStatus(name, usage[name], env)
		if st == "missing" {
			missing = append(missing, name)
		}
		rows = append(rows, varStatus{Name: name, Status: st})
	}
	return rows, missing
}

func variableStatus(name string, u *varUsage, env envView) string {
	if _, ok := env.Lookup(name); ok {
		if env.Source(name) == ".env" {
			return "set (.env)"
		}
		return "set (env)"
	}
	switch {
	case u.reachedNoDefault:
		return "missing"
	case u.reached:
		defs := slices.Sorted(maps.Keys(u.defaults))
		return "default (" + strings.Join(defs, " | ") + ")"
	}
	return "unused"
}

// writeSecretsCheck prints the table and the verdict (docs/spec/runtime.md §16.10) and returns
// the error that ends the command, if any.
func writeSecretsCheck(stdout io.Writer, project, manifestDir string, rows []varStatus, missing []string) error {
	if len(rows) == 0 {
		fmt.Fprintf(stdout, "no ${env.*} references in project %s\n", project)
		return nil
	}
	table := [][]string{{"VARIABLE", "STATUS"}}
	for _, r := range rows {
		table = append(table, []string{r.Name, r.Status})
	}
	render.WriteTable(stdout, table)
	if len(missing) > 0 {
		sort.Strings(missing)
		return &exitError{code: 1, msg: fmt.Sprintf("%d required variable(s) not set: %s (add them to %s or pass --env-file PATH)",
			len(missing), strings.Join(missing, ", "), filepath.Join(manifestDir, ".env"))}
	}
	fmt.Fprintln(stdout, "all required secrets are set")
	return nil
}

func (s *session) secretsCheckAction(c *ucli.Context) error {
	if err := needArgs(c, 0, 0, ""); err != nil {
		return err
	}
	ld, err := s.load(c.String("env-file"), false)
	if err != nil {
		return err
	}
	rows, missing := checkVariables(ld.manifest.Resources, ld.env)
	return writeSecretsCheck(s.stdout, ld.manifest.Project.Name.Value, ld.manifest.Dir, rows, missing)
}
