package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// imagesLoadAction imports an image archive (docs/spec/runtime.md §9.4); FILE "-" is stdin.
func (s *session) imagesLoadAction(c *ucli.Context) error {
	if err := needArgs(c, 1, 1, "FILE"); err != nil {
		return err
	}
	var r io.Reader = s.stdin
	if name := c.Args().First(); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("load images: %w", err)
		}
		defer f.Close()
		r = f
	}
	rt, err := s.connect(c.Context, containerdrt.PullMissing, false)
	if err != nil {
		return err
	}
	defer rt.Close()
	names, err := rt.LoadArchive(c.Context, r)
	for _, n := range names {
		fmt.Fprintf(s.stdout, "loaded %s\n", familiarImage(n))
	}
	return err
}

// pullAction pulls every image of the plan once, in parallel, even when present
// (docs/spec/runtime.md §9.5); dockerfile resources are skipped.
func (s *session) pullAction(c *ucli.Context) error {
	if err := needArgs(c, 0, 0, ""); err != nil {
		return err
	}
	ld, err := s.load("", false)
	if err != nil {
		return err
	}
	if missing := imageEnvMissing(ld); len(missing) > 0 {
		return fmt.Errorf("missing required environment variable(s): %s (set them in %s, in the environment, or pass --env-file)",
			strings.Join(missing, ", "), ld.env.DotenvPath())
	}
	p, diags := plan.Build(ld.manifest, plan.Options{Env: ld.env, DataRoot: s.opts.DataRoot})
	if diags.HasErrors() {
		render.WriteDiagnostics(s.stderr, diags.Errors())
		return silentFailure()
	}
	var refs []string
	for _, n := range p.Nodes {
		if n.Kind == manifest.KindDockerfile {
			fmt.Fprintf(s.stdout, "%s: skipped (built from a Dockerfile)\n", n.Name)
			continue
		}
		if !slices.Contains(refs, n.Spec.Image) {
			refs = append(refs, n.Spec.Image)
		}
	}
	rt, err := s.connect(c.Context, containerdrt.PullAlways, false)
	if err != nil {
		return err
	}
	defer rt.Close()
	out, errOut := render.NewLinePrinter(s.stdout, nil), render.NewLinePrinter(s.stderr, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := false
	for _, ref := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := rt.Pull(c.Context, ref, nil); err != nil {
				errOut.Printf("error: %s", p.Redactor().Redact(err.Error()))
				mu.Lock()
				failed = true
				mu.Unlock()
				return
			}
			out.Printf("pulled %s", familiarImage(ref))
		}()
	}
	wg.Wait()
	if failed {
		return silentFailure()
	}
	return nil
}

// imageEnvMissing lists, sorted, the unset variables that the image references need:
// pull requires only those (docs/spec/manifest.md §26.2), not every variable of the manifest.
func imageEnvMissing(ld *loaded) []string {
	var missing []string
	for _, r := range ld.manifest.Resources {
		for _, f := range r.Interpolated() {
			if !strings.HasSuffix(f.Path, ".image") && !strings.HasSuffix(f.Path, ".version") {
				continue
			}
			t, err := manifest.ParseTemplate(f.Text)
			if err != nil {
				continue
			}
			for _, u := range t.EnvUses(ld.env.Lookup) {
				if _, set := ld.env.Lookup(u.Name); u.Reached && !u.HasDefault && !set && !slices.Contains(missing, u.Name) {
					missing = append(missing, u.Name)
				}
			}
		}
	}
	slices.Sort(missing)
	return missing
}
