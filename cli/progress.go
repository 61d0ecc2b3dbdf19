package cli

import (
	"context"
	"errors"
	"sync"

	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

// imageProgress is one image acquisition update of a resource, or (Phase "adopted") a
// note that its running container was reused. Phase "up-to-date" is a build skipped
// because the image was built from the current context (the runtime's "present" for a
// dockerfile resource).
type imageProgress struct {
	resource string
	containerdrt.ProgressUpdate
}

// progressRuntime passes the runtime through to the actors and copies what events do
// not carry to the `up` loop: image progress for `pulled <ref> (<size> in <duration>)`
// lines and the terminal table (docs/spec/runtime.md §9.3), and adoption of a running container
// (§4.4). Orphan removals need no copy: they are resource_stopped events of names the
// plan does not hold.
type progressRuntime struct {
	containerdrt.Runtime
	updates chan<- imageProgress
	// builds keeps each failed build's output tail for the failure report.
	builds *buildTails
	redact func(string) string // the plan's redactor; nil = identity (tests)
}

// Prepare notes an adopted container.
func (r progressRuntime) Prepare(ctx context.Context, s *plan.ContainerSpec) (containerdrt.Container, error) {
	c, err := r.Runtime.Prepare(ctx, s)
	if err == nil && c.Adopted() {
		r.note(ctx, imageProgress{resource: s.Resource, ProgressUpdate: containerdrt.ProgressUpdate{Phase: render.PhaseAdopted}})
	}
	return c, err
}

// note delivers a final update unless the operation is cancelled.
func (r progressRuntime) note(ctx context.Context, u imageProgress) {
	select {
	case r.updates <- u:
	case <-ctx.Done():
	}
}

// EnsureImage forwards every update; intermediate ones are dropped when the loop is
// behind, final ones ("pulled", and every build line) never are.
// A failed build's last output lines are kept for the failure report (docs/spec/runtime.md §9.7).
func (r progressRuntime) EnsureImage(ctx context.Context, s *plan.ContainerSpec, p containerdrt.Progress) error {
	resource, built := s.Resource, s.Build != nil
	err := r.Runtime.EnsureImage(ctx, s, func(u containerdrt.ProgressUpdate) {
		if p != nil {
			p(u)
		}
		up := imageProgress{resource: resource, ProgressUpdate: buildUpdate(u, built, r.redact)}
		switch up.Phase {
		case containerdrt.PhasePulled, containerdrt.PhaseBuilding, containerdrt.PhaseBuildStep, containerdrt.PhaseBuilt, render.PhaseUpToDate:
			r.note(ctx, up)
			return
		}
		select {
		case r.updates <- up:
		default:
		}
	})
	r.builds.record(resource, err, r.redact)
	return err
}

// buildUpdate renames "present" to "up-to-date" for a dockerfile resource and redacts
// build step names, which may echo build arguments.
func buildUpdate(u containerdrt.ProgressUpdate, built bool, redact func(string) string) containerdrt.ProgressUpdate {
	if built && u.Phase == containerdrt.PhasePresent {
		u.Phase = render.PhaseUpToDate
	}
	if u.Phase == containerdrt.PhaseBuildStep && redact != nil {
		u.Message = redact(u.Message)
	}
	return u
}

// buildTails holds the output tail of each resource whose build failed; safe for
// concurrent use, and a nil *buildTails records nothing.
type buildTails struct{ m sync.Map }

// record keeps err's last lines, redacted, when err is a failed build step.
func (b *buildTails) record(resource string, err error, redact func(string) string) {
	var be *containerdrt.BuildError
	if b == nil || !errors.As(err, &be) {
		return
	}
	lines := make([]string, len(be.LastLines))
	for i, l := range be.LastLines {
		if redact != nil {
			l = redact(l)
		}
		lines[i] = l
	}
	b.m.Store(resource, lines)
}

// lines returns the failed build's output tail of resource, and whether its build failed.
func (b *buildTails) lines(resource string) ([]string, bool) {
	if b == nil {
		return nil, false
	}
	v, ok := b.m.Load(resource)
	if !ok {
		return nil, false
	}
	return v.([]string), true
}
