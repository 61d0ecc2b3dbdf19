package containerdrt

import (
	"context"
	"errors"
	"fmt"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"

	"github.com/lightshuttle/lsctl/plan"
)

// FamiliarName is the human-readable form of a normalised reference
// ("docker.io/library/postgres:16" -> "postgres:16"); other strings are returned as is.
func FamiliarName(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ref
	}
	return reference.FamiliarString(named)
}

// EnsureImage makes the spec's image present and unpacked according to the pull policy
// (docs/spec/runtime.md §9.2). Resources sharing an image share one pull. Dockerfile resources
// are built by BuildImage, which skips an up-to-date image (§9.7).
func (c *Client) EnsureImage(ctx context.Context, s *plan.ContainerSpec, p Progress) error {
	if s.Build != nil {
		return c.BuildImage(ctx, s, p)
	}
	ref := s.Image
	start := time.Now()
	present, err := c.imagePresent(ctx, ref)
	if err != nil {
		return err
	}
	switch {
	case present && c.opts.Pull != PullAlways:
		report(p, ProgressUpdate{Phase: PhasePresent, Ref: ref, Elapsed: time.Since(start)})
		return nil
	case !present && c.opts.Pull == PullNever:
		return fmt.Errorf("image %s is not present and --pull=never: %w", FamiliarName(ref), ErrNotFound)
	}
	return c.Pull(ctx, ref, p) // resources sharing the image share this call (actors/images.go)
}

// report calls p when it is set.
func report(p Progress, u ProgressUpdate) {
	if p != nil {
		p(u)
	}
}

// imagePresent reports whether the namespace has an image record for ref whose
// host-platform content is complete; such an image is unpacked if needed.
func (c *Client) imagePresent(ctx context.Context, ref string) (bool, error) {
	rec, err := c.cd.ImageService().Get(ctx, ref)
	if errdefs.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, c.wrapUnavailable(fmt.Errorf("look up image %s: %w", FamiliarName(ref), err))
	}
	available, _, _, missing, err := images.Check(ctx, c.cd.ContentStore(), rec.Target, platforms.Default())
	if err != nil || !available || len(missing) > 0 {
		return false, nil // incomplete content: pull (or fail with --pull=never)
	}
	img := containerd.NewImageWithPlatform(c.cd, rec, platforms.Default())
	if err := c.unpack(ctx, img); err != nil {
		return false, err
	}
	return true, nil
}

// unpack unpacks img into the configured snapshotter unless it already is.
func (c *Client) unpack(ctx context.Context, img containerd.Image) error {
	ok, err := img.IsUnpacked(ctx, c.opts.Snapshotter)
	if err != nil {
		return fmt.Errorf("check unpacked image %s: %w", FamiliarName(img.Name()), err)
	}
	if ok {
		return nil
	}
	if err := img.Unpack(ctx, c.opts.Snapshotter); err != nil {
		return fmt.Errorf("unpack image %s into snapshotter %s: %w", FamiliarName(img.Name()), c.opts.Snapshotter, err)
	}
	return nil
}

// wrapUnavailable adds ErrUnavailable to errors that mean the daemon is gone.
func (c *Client) wrapUnavailable(err error) error {
	if errdefs.IsUnavailable(err) {
		return fmt.Errorf("%w (%w)", err, ErrUnavailable)
	}
	return err
}

// isNotFound reports containerd's and our own not-found errors.
func isNotFound(err error) bool {
	return errdefs.IsNotFound(err) || errors.Is(err, ErrNotFound)
}
