package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/cli/systemd"
	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// serviceOptions are the parsed flags of `lsctl service install|uninstall|print`.
type serviceOptions struct {
	Name  string // unit file name; "" means lsctl-<project>.service
	Grace time.Duration
	Quiet bool
	Now   bool
}

func (s *session) serviceCommand() *ucli.Command {
	name := &ucli.StringFlag{Name: "name", Usage: "unit name (default: lsctl-<project>.service)"}
	grace := &ucli.StringFlag{Name: "grace", Value: "10s", Usage: "stop grace per resource for lsctl up; TimeoutStopSec is derived from it"}
	upFlags := []ucli.Flag{name, grace,
		&ucli.BoolFlag{Name: "quiet", Usage: "do not stream container logs to the journal (lsctl logs still has them)"}}
	return &ucli.Command{
		Name:      "service",
		Usage:     "run the stack as a systemd service that starts at boot",
		UsageText: "lsctl service install|uninstall|print [--name N]",
		Subcommands: []*ucli.Command{{
			Name:      "install",
			Usage:     "write the systemd unit that runs lsctl up at boot, and enable it",
			UsageText: "lsctl service install [--name N] [--grace D] [--quiet] [--now]",
			Flags: append(upFlags[:len(upFlags):len(upFlags)],
				&ucli.BoolFlag{Name: "now", Usage: "also start the service now"}),
			Action: s.serviceInstallAction,
		}, {
			Name:      "uninstall",
			Usage:     "stop and disable the service, and remove its unit",
			UsageText: "lsctl service uninstall [--name N]",
			Flags:     []ucli.Flag{name},
			Action:    s.serviceUninstallAction,
		}, {
			Name:      "print",
			Usage:     "print the unit that install would write",
			UsageText: "lsctl service print [--name N] [--grace D] [--quiet]",
			Flags:     upFlags,
			Action:    s.servicePrintAction,
		}},
	}
}

func parseServiceOptions(c *ucli.Context) (serviceOptions, error) {
	o := serviceOptions{Quiet: c.Bool("quiet"), Now: c.Bool("now")}
	if err := needArgs(c, 0, 0, ""); err != nil {
		return o, err
	}
	if c.IsSet("name") {
		n, err := systemd.UnitName(c.String("name"))
		if err != nil {
			return o, usagef(c, "%v", err)
		}
		o.Name = n
	}
	var err error
	o.Grace, err = durationFlag(c, "grace", defaultGrace)
	return o, err
}

func (s *session) servicePrintAction(c *ucli.Context) error {
	_, u, err := s.parseServiceUnit(c)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(s.stdout, u.Render())
	return err
}

// parseServiceUnit is the common start of print and install: the flags, then the unit.
func (s *session) parseServiceUnit(c *ucli.Context) (serviceOptions, *systemd.Unit, error) {
	o, err := parseServiceOptions(c)
	if err != nil {
		return o, nil, err
	}
	u, err := s.serviceUnit(c, o)
	return o, u, err
}

// serviceUnit resolves the unit for the manifest: a valid manifest whose required
// variables are set, the running lsctl's absolute path, the global options in force.
func (s *session) serviceUnit(c *ucli.Context, o serviceOptions) (*systemd.Unit, error) {
	ld, err := s.load("", false)
	if err != nil {
		return nil, err
	}
	// Placeholder passwords, every variable required: what `up` checks before it starts.
	p, diags := plan.Build(ld.manifest, plan.Options{Env: ld.env, RequireEnv: true, DataRoot: s.opts.DataRoot})
	render.WriteDiagnostics(s.stderr, diags.Errors())
	if diags.HasErrors() {
		return nil, silentFailure()
	}
	s.warnShellOnlyVariables(ld)
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cannot find the path of the running lsctl for ExecStart: %w", err)
	}
	if strings.HasPrefix(exe, filepath.Clean(os.TempDir())+"/") {
		fmt.Fprintf(s.stderr, "warning: lsctl runs from %s, a temporary directory: the service will not start "+
			"after a reboot; install lsctl to a permanent path (e.g. /usr/local/bin) and run this again\n", exe)
	}
	manifestPath, err := filepath.Abs(ld.manifest.Path)
	if err != nil {
		return nil, fmt.Errorf("cannot resolve the manifest path %s: %w", ld.manifest.Path, err)
	}
	u := &systemd.Unit{Name: o.Name, Project: ld.manifest.Project.Name.Value, Manifest: manifestPath,
		WorkDir: filepath.Dir(manifestPath), Grace: o.Grace, Levels: p.StopLevels(), Env: s.serviceEnv()}
	if u.Name == "" {
		u.Name = "lsctl-" + u.Project + ".service"
	}
	if u.ExecStart, err = s.serviceArgv(c, exe, manifestPath, o); err != nil {
		return nil, err
	}
	return u, checkUnitSafe(u)
}

// serviceArgv is ExecStart: lsctl, the global options in force, then a foreground up.
// The stack's identity (containerd address, namespace, data root, manifest) is always
// written out; another option only when a flag or the environment set it, so a default
// stays the default lsctl resolves at boot. Flags win over the environment, so the
// line is what runs whatever systemd's environment holds.
func (s *session) serviceArgv(c *ucli.Context, exe, manifestPath string, o serviceOptions) ([]string, error) {
	argv := []string{exe}
	for _, g := range globalSettings {
		v := *g.target(&s.opts)
		env, _ := s.lookupEnv(g.env)
		identity := g.name == "address" || g.name == "namespace" || g.name == "data-root"
		if !identity && !c.IsSet(g.name) && env == "" {
			continue
		}
		if g.name == "address" || g.name == "data-root" || g.name == "cni-path" {
			abs, err := filepath.Abs(strings.TrimPrefix(v, "unix://"))
			if err != nil {
				return nil, fmt.Errorf("cannot resolve --%s %s: %w", g.name, v, err)
			}
			v = abs
		}
		argv = append(argv, "--"+g.name, v)
	}
	if s.opts.EnvFile != "" {
		abs, err := filepath.Abs(s.opts.EnvFile)
		if err != nil {
			return nil, fmt.Errorf("cannot resolve --env-file %s: %w", s.opts.EnvFile, err)
		}
		argv = append(argv, "--env-file", abs)
	}
	argv = append(argv, "--file", manifestPath, "up", "--no-color", "--grace", manifest.FormatDuration(o.Grace))
	if o.Quiet {
		argv = append(argv, "--quiet")
	}
	return argv, nil
}

// serviceEnvVars are the variables lsctl reads that no flag replaces; they are passed
// as Environment= when set, since systemd starts services with an almost empty one.
var serviceEnvVars = []string{"LSCTL_LOG_DRIVER", "LSCTL_LOG", "DOCKER_CONFIG"}

// serviceEnv is the unit's Environment=. A system service has no HOME (systemd.exec(5)),
// so registry credentials in ~/.docker are passed as DOCKER_CONFIG when they exist.
func (s *session) serviceEnv() [][2]string {
	var env [][2]string
	for _, name := range serviceEnvVars {
		if v, ok := s.lookupEnv(name); ok && v != "" {
			env = append(env, [2]string{name, v})
		}
	}
	if _, set := s.lookupEnv("DOCKER_CONFIG"); !set {
		if home, ok := s.lookupEnv("HOME"); ok && home != "" {
			dir := filepath.Join(home, ".docker")
			if _, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
				env = append(env, [2]string{"DOCKER_CONFIG", dir})
			}
		}
	}
	return env
}

// warnShellOnlyVariables names the ${env.*} variables that only this shell provides:
// the service starts without them, and up would stop on the first one missing.
func (s *session) warnShellOnlyVariables(ld *loaded) {
	dotenv := ld.env.DotenvPath()
	if dotenv == "" {
		dotenv = filepath.Join(ld.manifest.Dir, ".env")
	}
	rows, _ := checkVariables(ld.manifest.Resources, ld.env)
	for _, r := range rows {
		if r.Status == "set (env)" && !slices.Contains(serviceEnvVars, r.Name) {
			fmt.Fprintf(s.stderr, "warning: %s is set only in this shell's environment, which the service does not "+
				"have: add it to %s or to a drop-in (systemctl edit, Environment=)\n", r.Name, dotenv)
		}
	}
}

// checkUnitSafe refuses values systemd cannot read back as written.
func checkUnitSafe(u *systemd.Unit) error {
	checks := [][2]string{{"the manifest path", u.Manifest}}
	for _, a := range u.ExecStart {
		checks = append(checks, [2]string{"the ExecStart argument", a})
	}
	for _, kv := range u.Env {
		checks = append(checks, [2]string{"the value of " + kv[0], kv[1]})
	}
	for _, c := range checks {
		if err := systemd.Safe(c[0], c[1]); err != nil {
			return err
		}
	}
	// WorkingDirectory= takes the rest of the line, which systemd trims.
	if strings.TrimSpace(u.WorkDir) != u.WorkDir {
		return fmt.Errorf("the manifest directory %q begins or ends with whitespace, which systemd strips; rename it", u.WorkDir)
	}
	return nil
}
