package cli

import (
	"context"
	"fmt"
	"sync"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

// imageProgress is one image acquisition update of a resource, or (Phase "adopted",
// "orphan-removed") a note about its container.
type imageProgress struct {
	resource string
	containerdrt.ProgressUpdate
}

// progressRuntime passes the runtime through to the actors and copies what events do
// not carry to the `up` loop: image progress for `pulled <ref> (<size> in <duration>)`
// lines and the terminal table (runtime.md §9.3), adoption of a running container and
// removal of orphans (§4.4).
type progressRuntime struct {
	containerdrt.Runtime
	updates chan<- imageProgress
	plan    *plan.Plan
	orphans *sync.Map // container id -> resource, learnt from List
}

// Prepare notes an adopted container.
func (r progressRuntime) Prepare(ctx context.Context, s *plan.ContainerSpec) (containerdrt.Container, error) {
	c, err := r.Runtime.Prepare(ctx, s)
	if err == nil && c.Adopted() {
		r.note(ctx, imageProgress{resource: s.Resource, ProgressUpdate: containerdrt.ProgressUpdate{Phase: "adopted"}})
	}
	return c, err
}

// List remembers the containers whose resource is not in the plan.
func (r progressRuntime) List(ctx context.Context, project string) ([]containerdrt.Managed, error) {
	ms, err := r.Runtime.List(ctx, project)
	for _, m := range ms {
		if r.plan != nil && r.plan.Node(m.Resource) == nil {
			r.orphans.Store(m.ID, m.Resource)
		}
	}
	return ms, err
}

// Remove notes the removal of an orphan.
func (r progressRuntime) Remove(ctx context.Context, id string) error {
	err := r.Runtime.Remove(ctx, id)
	if resource, ok := r.orphans.LoadAndDelete(id); ok && err == nil {
		r.note(ctx, imageProgress{resource: resource.(string), ProgressUpdate: containerdrt.ProgressUpdate{Phase: "orphan-removed"}})
	}
	return err
}

// note delivers a final update unless the operation is cancelled.
func (r progressRuntime) note(ctx context.Context, u imageProgress) {
	select {
	case r.updates <- u:
	case <-ctx.Done():
	}
}

// EnsureImage forwards every update; intermediate ones are dropped when the loop is
// behind, final ones ("pulled", "built") never are.
func (r progressRuntime) EnsureImage(ctx context.Context, s *plan.ContainerSpec, p containerdrt.Progress) error {
	resource := s.Resource
	return r.Runtime.EnsureImage(ctx, s, func(u containerdrt.ProgressUpdate) {
		if p != nil {
			p(u)
		}
		up := imageProgress{resource: resource, ProgressUpdate: u}
		if u.Phase == "pulled" || u.Phase == "built" {
			r.note(ctx, up)
			return
		}
		select {
		case r.updates <- up:
		default:
		}
	})
}

// progressLine is the plain line of a final update, or "".
func progressLine(u imageProgress) string {
	switch u.Phase {
	case "pulled":
		return fmt.Sprintf("%s: pulled %s (%s in %s)", u.resource, u.Ref, humanBytes(u.Total), roundDuration(u.Elapsed))
	case "built":
		return fmt.Sprintf("%s: built %s in %s", u.resource, u.Ref, roundDuration(u.Elapsed))
	case "adopted":
		return u.resource + ": reusing running container"
	case "orphan-removed":
		return u.resource + ": removed (not in the manifest)"
	}
	return ""
}

// progressDetail is the live table's detail for an update.
func progressDetail(u imageProgress) string {
	if u.Phase == "pulling" && u.Total > 0 {
		return fmt.Sprintf("pulling %s (%s / %s)", u.Ref, humanBytes(u.Done), humanBytes(u.Total))
	}
	if line := progressLine(u); line != "" {
		return line[len(u.resource)+2:]
	}
	return u.Phase + " " + u.Ref
}

// humanBytes renders a size with binary units and one decimal (103.2 MiB).
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n), []string{"KiB", "MiB", "GiB", "TiB"}
	i := -1
	for v >= unit && i < len(suffix)-1 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", v, suffix[i])
}
