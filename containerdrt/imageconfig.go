package containerdrt

import (
	"context"
	"fmt"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"

	"github.com/lightshuttle/lsctl/plan"
)

// ImageConfig returns the host-platform configuration of a present image (docs/spec/runtime.md
// §9.6): Env, Entrypoint, Cmd, WorkingDir, User, StopSignal and the layer diff IDs.
func (c *Client) ImageConfig(ctx context.Context, ref string) (plan.ImageConfig, error) {
	img, err := c.getImage(ctx, ref)
	if err != nil {
		return plan.ImageConfig{}, err
	}
	return imageConfigOf(ctx, img)
}

// getImage returns the image record for ref bound to the host platform.
func (c *Client) getImage(ctx context.Context, ref string) (containerd.Image, error) {
	rec, err := c.cd.ImageService().Get(ctx, ref)
	if errdefs.IsNotFound(err) {
		return nil, fmt.Errorf("image %s is not present: %w", FamiliarName(ref), ErrNotFound)
	}
	if err != nil {
		return nil, c.wrapUnavailable(fmt.Errorf("look up image %s: %w", FamiliarName(ref), err))
	}
	return containerd.NewImageWithPlatform(c.cd, rec, platforms.Default()), nil
}

func imageConfigOf(ctx context.Context, img containerd.Image) (plan.ImageConfig, error) {
	spec, err := img.Spec(ctx)
	if err != nil {
		return plan.ImageConfig{}, fmt.Errorf("read configuration of image %s for %s: %w",
			FamiliarName(img.Name()), platforms.DefaultString(), err)
	}
	cfg := spec.Config
	out := plan.ImageConfig{
		Env:        cfg.Env,
		Entrypoint: cfg.Entrypoint,
		Cmd:        cfg.Cmd,
		WorkingDir: cfg.WorkingDir,
		User:       cfg.User,
		StopSignal: cfg.StopSignal,
	}
	for _, d := range spec.RootFS.DiffIDs {
		out.DiffIDs = append(out.DiffIDs, d.String())
	}
	return out, nil
}
