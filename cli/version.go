package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// Version and Commit may be set at link time
// (-ldflags "-X github.com/lightshuttle/lsctl/cli.Version=v1.0.0 -X ...Commit=abc1234");
// otherwise they come from the module build information.
var (
	Version = ""
	Commit  = ""
)

func init() {
	// urfave prints --version through this package-level hook; route it to our line.
	ucli.VersionPrinter = func(c *ucli.Context) { fmt.Fprintln(c.App.Writer, versionLine()) }
	// -V as well as -v: the original LightShuttle's spelling (issue 15).
	ucli.VersionFlag = &ucli.BoolFlag{Name: "version", Aliases: []string{"v", "V"}, Usage: "print the version"}
}

// buildVersion is the lsctl version: the link-time Version, the module version, or "dev".
func buildVersion() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// buildCommit is the short VCS revision, or "unknown" when the build recorded none.
func buildCommit() string {
	c := Commit
	if c == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					c = s.Value
				}
			}
		}
	}
	if c == "" {
		return "unknown"
	}
	return c[:min(len(c), 7)]
}

// versionLine is the first line of `lsctl version` and all of `lsctl --version`
// (docs/spec/runtime.md §16.11).
func versionLine() string {
	return fmt.Sprintf("lsctl %s (commit %s, %s, linux/%s)", buildVersion(), buildCommit(), runtime.Version(), runtime.GOARCH)
}

// logDriverLine names the log driver of new containers and, when it is lsctl itself,
// how to get the small one.
func logDriverLine(d containerdrt.LogDriverChoice) string {
	line := fmt.Sprintf("log driver: %s (%s)", d.Path, d.Source)
	if !d.Dedicated() && d.Source == "lsctl itself" {
		line += "; " + containerdrt.LogDriverName + " was not found beside lsctl or on PATH, so each running container keeps a copy of lsctl (about 23 MB) alive: build it with `go build -o DIR/" + containerdrt.LogDriverName + " ./containerdrt/logdriver/" + containerdrt.LogDriverName + "` into lsctl's directory"
	}
	return line
}

func (s *session) versionCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "version",
		Usage:     "print the lsctl and containerd versions",
		UsageText: "lsctl version",
		Action: func(c *ucli.Context) error {
			if err := needArgs(c, 0, 0, ""); err != nil {
				return err
			}
			fmt.Fprintln(s.stdout, versionLine())
			fmt.Fprintln(s.stdout, logDriverLine(s.logDriver()))
			ctx, cancel := context.WithTimeout(c.Context, 5*time.Second)
			defer cancel()
			v, err := s.containerdVersion(ctx)
			if err != nil {
				fmt.Fprintf(s.stdout, "containerd: unreachable at %s (%s)\n", s.opts.Address, err)
				return nil
			}
			fmt.Fprintf(s.stdout, "containerd %s at %s\n", v, s.opts.Address)
			return nil
		},
	}
}
