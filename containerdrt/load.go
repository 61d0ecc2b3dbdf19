package containerdrt

import (
	"context"
	"fmt"
	"io"
	"strings"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/pkg/archive/compression"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
)

// LoadArchive imports a Docker (`docker save`) or OCI image-layout archive, gzip
// compressed or not, names its images per docs/spec/runtime.md §9.4, unpacks the host-platform
// content and returns the familiar names loaded (an unnamed image by its digest).
func (c *Client) LoadArchive(ctx context.Context, r io.Reader) ([]string, error) {
	stream, err := compression.DecompressStream(r)
	if err != nil {
		return nil, fmt.Errorf("load image archive: %w", err)
	}
	defer stream.Close()
	imgs, err := c.cd.Import(ctx, stream,
		containerd.WithImageRefTranslator(ociRefName),
		containerd.WithDigestRef(func(d digest.Digest) string { return d.String() }),
		containerd.WithSkipDigestRef(func(name string) bool { return name != "" }),
		containerd.WithImportPlatform(platforms.Default()),
	)
	if err != nil {
		return nil, c.wrapUnavailable(fmt.Errorf("load image archive: %w", err))
	}
	if len(imgs) == 0 {
		return nil, fmt.Errorf("load image archive: no image for %s found in the archive", platforms.DefaultString())
	}
	var names []string
	for _, rec := range imgs {
		rec, err = c.normaliseImageName(ctx, rec)
		if err != nil {
			return names, err
		}
		img := containerd.NewImageWithPlatform(c.cd, rec, platforms.Default())
		if err := c.unpack(ctx, img); err != nil {
			return names, fmt.Errorf("load image archive: %w", err)
		}
		names = append(names, FamiliarName(rec.Name))
	}
	return names, nil
}

// ociRefName keeps an org.opencontainers.image.ref.name annotation only when it is a
// full reference, normalised; a bare tag ("latest", "1.0") names nothing.
func ociRefName(name string) string {
	if !strings.ContainsAny(name, "/:@") {
		return ""
	}
	n, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return ""
	}
	return reference.TagNameOnly(n).String()
}

// normaliseName is the normalised form of an image name taken from an archive; a digest
// name (unnamed image) and an unparsable name are kept.
func normaliseName(name string) string {
	if _, err := digest.Parse(name); err == nil {
		return name
	}
	n, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return name
	}
	return reference.TagNameOnly(n).String()
}

// normaliseImageName renames an image whose io.containerd.image.name annotation was not
// in normalised form ("busybox:1" -> "docker.io/library/busybox:1").
func (c *Client) normaliseImageName(ctx context.Context, rec images.Image) (images.Image, error) {
	want := normaliseName(rec.Name)
	if want == rec.Name {
		return rec, nil
	}
	is := c.cd.ImageService()
	old := rec.Name
	rec.Name = want
	out, err := is.Update(ctx, rec, "target")
	if errdefs.IsNotFound(err) {
		out, err = is.Create(ctx, rec)
	}
	if err != nil {
		return rec, fmt.Errorf("load image archive: name image %s: %w", want, err)
	}
	if err := is.Delete(ctx, old); err != nil && !errdefs.IsNotFound(err) {
		return out, fmt.Errorf("load image archive: remove unnormalised name %s: %w", old, err)
	}
	return out, nil
}
