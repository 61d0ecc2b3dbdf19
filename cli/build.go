package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

func (s *session) buildCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "build",
		Usage:     "build the images of dockerfile resources without starting anything",
		UsageText: "lsctl build [--pull missing|always|never] [RESOURCE...]",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "pull", Value: "missing", Usage: "base image policy: missing and never use local base images, always asks the registry"},
		},
		Action: s.buildAction,
	}
}

// imageEnsurer is the part of the runtime `lsctl build` uses.
type imageEnsurer interface {
	EnsureImage(ctx context.Context, s *plan.ContainerSpec, p containerdrt.Progress) error
}

// buildAction builds the named dockerfile resources (all of them without names),
// always, even when the image is up to date: BuildKit's cache makes unchanged steps
// instant (docs/spec/runtime.md §9.7). Exit 1 when any build failed.
func (s *session) buildAction(c *ucli.Context) error {
	pull, err := enumFlag(c, "pull", "missing", "always", "never")
	if err != nil {
		return err
	}
	ld, names, err := s.loadNamed(c)
	if err != nil {
		return err
	}
	// Placeholders for passwords: a build never needs them, nor generates them.
	p, diags := plan.Build(ld.manifest, plan.Options{Env: ld.env, RequireEnv: true, DataRoot: s.opts.DataRoot})
	if diags.HasErrors() {
		render.WriteDiagnostics(s.stderr, diags.Errors())
		return silentFailure()
	}
	targets := buildTargets(p, names, s.stdout)
	if len(targets) == 0 {
		if len(names) == 0 {
			fmt.Fprintf(s.stdout, "[%s] nothing to build (no dockerfile resources)\n", p.Project)
		}
		return nil
	}
	rt, err := s.connect(c.Context, containerdrt.PullPolicy(pull), true)
	if err != nil {
		return err
	}
	defer rt.Close()
	// SIGINT or SIGTERM cancels the builds (exit 130/143).
	return s.withSignals(c.Context, func(ctx context.Context) error { return s.runBuilds(ctx, rt, p, targets) })
}

// buildTargets returns the dockerfile nodes to build: the named ones (in plan order),
// or every one when no name is given. A named resource of another kind gets a
// `skipped` line.
func buildTargets(p *plan.Plan, names []string, out io.Writer) []*plan.Node {
	var targets []*plan.Node
	for _, n := range p.Nodes {
		named := slices.Contains(names, n.Name)
		if len(names) > 0 && !named {
			continue
		}
		if n.Spec.Build == nil {
			if named {
				fmt.Fprintf(out, "%s: skipped (not built from a Dockerfile)\n", n.Name)
			}
			continue
		}
		targets = append(targets, n)
	}
	return targets
}

// runBuilds builds targets in parallel, printing the plain lines of docs/spec/runtime.md §9.7;
// a failure prints `error: <resource>: <cause>` and the failing step's last lines.
func (s *session) runBuilds(ctx context.Context, rt imageEnsurer, p *plan.Plan, targets []*plan.Node) error {
	redact := p.Redactor().Redact
	out, errOut := render.NewLinePrinter(s.stdout, nil), render.NewLinePrinter(s.stderr, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := false
	for _, n := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := rt.EnsureImage(ctx, &n.Spec, func(u containerdrt.ProgressUpdate) {
				line := render.ProgressLine(n.Name, buildUpdate(u, true, redact))
				if line != "" {
					out.Printf("%s", line)
				}
			})
			if err == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			failed = true
			_, _ = errOut.Write([]byte(buildFailure(n.Name, err, redact)))
		}()
	}
	wg.Wait()
	if failed {
		return silentFailure()
	}
	return nil
}

// buildFailure is the stderr report of a failed build: the error line, then for a
// failing step the last lines of its output (docs/spec/runtime.md §9.7), all redacted.
func buildFailure(resource string, err error, redact func(string) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "error: %s: %s\n", resource, strings.ReplaceAll(redact(err.Error()), "\n", ": "))
	var be *containerdrt.BuildError
	if !errors.As(err, &be) {
		return b.String()
	}
	fmt.Fprintf(&b, "last 20 lines of the failing build step of %s:\n", resource)
	lines := make([]string, len(be.LastLines))
	for i, l := range be.LastLines {
		lines[i] = redact(l)
	}
	writeIndented(&b, lines)
	return b.String()
}
