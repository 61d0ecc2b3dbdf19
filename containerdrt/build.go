package containerdrt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/tonistiigi/fsutil"

	"github.com/lightshuttle/lsctl/plan"
)

// BuildImage builds s.Build with BuildKit at the configured address into s.Image in
// lsctl's namespace (docs/spec/runtime.md §9.7), unless the image exists with a
// lightshuttle.context-digest label equal to ContextDigest(s.Build) and rebuilds are
// not forced (Options.Build); then it reports Phase "present".
//
// Progress: "building", one "build-step" per completed step (Message = the step name,
// to be redacted by the caller), then "built" with Elapsed. A failing step gives a
// *BuildError carrying that step's last output lines.
//
// The result is exported as an OCI archive streamed back to lsctl and imported with
// LoadArchive rather than written by a containerd worker: that works with any
// buildkitd (OCI or containerd worker, on any containerd 1.6 or 2.x and any namespace),
// while a containerd worker only writes into the one namespace it was started on.
func (c *Client) BuildImage(ctx context.Context, s *plan.ContainerSpec, p Progress) error {
	if s.Build == nil {
		return fmt.Errorf("resource %q has no build section: only dockerfile resources are built", s.Resource)
	}
	start := time.Now()
	if err := checkContextDir(s.Build.Context); err != nil {
		return err
	}
	dockerfile, err := readDockerfile(s.Build)
	if err != nil {
		return err
	}
	digest, err := ContextDigest(s.Build)
	if err != nil {
		return err
	}
	if !c.opts.Build {
		upToDate, err := c.builtImageCurrent(ctx, s.Image, digest)
		if err != nil {
			return err
		}
		if upToDate {
			report(p, ProgressUpdate{Phase: PhasePresent, Ref: s.Image, Elapsed: time.Since(start)})
			return nil
		}
	}
	report(p, ProgressUpdate{Phase: PhaseBuilding, Ref: s.Image})
	if err := c.solve(ctx, s, dockerfile, p); err != nil {
		return err
	}
	if err := c.labelContextDigest(ctx, s.Image, digest); err != nil {
		return err
	}
	report(p, ProgressUpdate{Phase: PhaseBuilt, Ref: s.Image, Elapsed: time.Since(start)})
	return nil
}

// readDockerfile reads the Dockerfile, with an error that says which field to fix.
func readDockerfile(b *plan.BuildSpec) ([]byte, error) {
	data, err := os.ReadFile(b.Dockerfile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("Dockerfile %s not found: set `dockerfile:` to a path relative to the context directory %s", b.Dockerfile, b.Context)
	}
	if err != nil {
		return nil, fmt.Errorf("read Dockerfile %s: %w", b.Dockerfile, err)
	}
	return data, nil
}

// builtImageCurrent reports whether ref exists, complete and unpacked, with the given
// context digest label.
func (c *Client) builtImageCurrent(ctx context.Context, ref, digest string) (bool, error) {
	rec, err := c.cd.ImageService().Get(ctx, ref)
	if errdefs.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, c.wrapUnavailable(fmt.Errorf("look up image %s: %w", FamiliarName(ref), err))
	}
	if rec.Labels[plan.LabelContextDigest] != digest {
		return false, nil
	}
	return c.imagePresent(ctx, ref)
}

// labelContextDigest records the digest the image was built from on its image record.
func (c *Client) labelContextDigest(ctx context.Context, ref, digest string) error {
	rec := images.Image{Name: ref, Labels: map[string]string{plan.LabelContextDigest: digest}}
	if _, err := c.cd.ImageService().Update(ctx, rec, "labels."+plan.LabelContextDigest); err != nil {
		return c.wrapUnavailable(fmt.Errorf("label built image %s: %w", FamiliarName(ref), err))
	}
	return nil
}

// solve runs the Dockerfile frontend and imports the exported OCI archive.
func (c *Client) solve(ctx context.Context, s *plan.ContainerSpec, dockerfile []byte, p Progress) error {
	addr := buildkitAddress(c.opts.BuildkitAddress)
	bk, err := connectBuildKit(ctx, addr)
	if err != nil {
		return err
	}
	defer bk.Close()
	opt, err := c.solveOpt(ctx, s.Build, dockerfile)
	if err != nil {
		return err
	}
	imp := &archiveImport{c: c, ctx: ctx}
	opt.Exports = []bkclient.ExportEntry{{
		Type:   bkclient.ExporterOCI,
		Attrs:  map[string]string{"name": s.Image},
		Output: imp.output,
	}}
	tracker := newStepTracker(p, s.Image)
	ch := make(chan *bkclient.SolveStatus)
	consumed := make(chan struct{})
	go func() {
		tracker.consume(ch)
		close(consumed)
	}()
	_, solveErr := bk.Solve(ctx, nil, opt, ch) // Solve closes ch
	<-consumed
	loadErr := imp.wait(solveErr)
	switch {
	case solveErr != nil && ctx.Err() != nil:
		return fmt.Errorf("image build of %s: %w", FamiliarName(s.Image), ctx.Err())
	case solveErr != nil && loadErr != nil && tracker.failed == "":
		// The import broke the export stream: its error is the cause.
		return fmt.Errorf("import built image %s: %w", FamiliarName(s.Image), loadErr)
	case solveErr != nil:
		return tracker.buildError(solveErr)
	case loadErr != nil:
		return fmt.Errorf("import built image %s: %w", FamiliarName(s.Image), loadErr)
	case !imp.started():
		return fmt.Errorf("image build of %s: BuildKit exported nothing", FamiliarName(s.Image))
	}
	return nil
}

// solveOpt is the Dockerfile frontend request of docs/spec/runtime.md §9.7 (without exports).
func (c *Client) solveOpt(ctx context.Context, b *plan.BuildSpec, dockerfile []byte) (bkclient.SolveOpt, error) {
	ctxFS, err := fsutil.NewFS(b.Context)
	if err != nil {
		return bkclient.SolveOpt{}, fmt.Errorf("build context %s: %w", b.Context, err)
	}
	dfFS, err := fsutil.NewFS(filepath.Dir(b.Dockerfile))
	if err != nil {
		return bkclient.SolveOpt{}, fmt.Errorf("Dockerfile directory of %s: %w", b.Dockerfile, err)
	}
	attrs := map[string]string{
		"filename": filepath.Base(b.Dockerfile),
		"platform": platforms.DefaultString(),
	}
	if b.Target != "" {
		attrs["target"] = b.Target
	}
	for _, a := range b.Args {
		attrs["build-arg:"+a.Name] = a.Value
	}
	opt := bkclient.SolveOpt{
		Frontend:      "dockerfile.v0",
		FrontendAttrs: attrs,
		LocalMounts:   map[string]fsutil.FS{"context": ctxFS, "dockerfile": dfFS},
		Session:       []session.Attachable{buildRegistryAuth()},
	}
	if c.opts.Pull == PullAlways {
		attrs["image-resolve-mode"] = "pull"
		return opt, nil
	}
	// Offline builds: use local base images without asking any registry.
	attrs["image-resolve-mode"] = "local"
	local, err := c.localBaseContexts(ctx, dockerfile, b.Args)
	if err != nil {
		return bkclient.SolveOpt{}, err
	}
	if len(local) > 0 {
		for k, v := range local {
			attrs[k] = v
		}
		opt.OCIStores = map[string]content.Store{localStoreID: c.cd.ContentStore()}
	}
	return opt, nil
}

// archiveImport streams the OCI exporter's output into LoadArchive. The import starts
// only when BuildKit opens the output, so a build that fails earlier leaves nothing
// waiting.
type archiveImport struct {
	c   *Client
	ctx context.Context

	mu   sync.Mutex
	pw   *io.PipeWriter
	done chan error
}

// output is the ExportEntry.Output callback.
func (a *archiveImport) output(map[string]string) (io.WriteCloser, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pw != nil {
		return nil, errors.New("image build exported more than one archive")
	}
	pr, pw := io.Pipe()
	a.pw, a.done = pw, make(chan error, 1)
	go func() {
		_, err := a.c.LoadArchive(a.ctx, pr)
		// Unblock BuildKit's writer if the import stopped early.
		pr.CloseWithError(errOr(err, io.ErrClosedPipe))
		a.done <- err
	}()
	return pw, nil
}

func (a *archiveImport) started() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pw != nil
}

// wait ends the stream (with solveErr when the build failed mid-export) and returns the
// import's error; nil when no archive was opened.
func (a *archiveImport) wait(solveErr error) error {
	a.mu.Lock()
	pw, done := a.pw, a.done
	a.mu.Unlock()
	if pw == nil {
		return nil
	}
	if solveErr != nil {
		pw.CloseWithError(solveErr)
	} else {
		pw.Close() // normally closed by BuildKit already; a second Close is harmless
	}
	return <-done
}

// errOr returns err, or def when err is nil.
func errOr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}
