package render

import (
	"fmt"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// The display phases lsctl adds to the runtime's: a running container reused, and a
// build skipped because the image was built from the current context.
const (
	PhaseAdopted  containerdrt.ProgressPhase = "adopted"
	PhaseUpToDate containerdrt.ProgressPhase = "up-to-date"
)

// ProgressLine is the plain line of a resource's final image update, or "" (docs/spec/runtime.md §9.3).
func ProgressLine(resource string, u containerdrt.ProgressUpdate) string {
	switch u.Phase {
	case containerdrt.PhasePulled:
		return fmt.Sprintf("%s: pulled %s (%s in %s)", resource, u.Ref, humanBytes(u.Total), RoundDuration(u.Elapsed))
	case containerdrt.PhaseBuilding:
		return fmt.Sprintf("%s: building %s", resource, u.Ref)
	case containerdrt.PhaseBuilt:
		return fmt.Sprintf("%s: built %s in %s", resource, u.Ref, RoundDuration(u.Elapsed))
	case containerdrt.PhaseBuildStep:
		return fmt.Sprintf("%s: build: %s", resource, u.Message)
	case PhaseUpToDate:
		return fmt.Sprintf("%s: image %s is up to date (context unchanged)", resource, u.Ref)
	case PhaseAdopted:
		return resource + ": reusing running container"
	}
	return ""
}

// ProgressDetail is the live table's detail for a resource's image update.
func ProgressDetail(resource string, u containerdrt.ProgressUpdate) string {
	if u.Phase == containerdrt.PhasePulling && u.Total > 0 {
		return fmt.Sprintf("pulling %s (%s / %s)", u.Ref, humanBytes(u.Done), humanBytes(u.Total))
	}
	if line := ProgressLine(resource, u); line != "" {
		return line[len(resource)+2:]
	}
	return string(u.Phase) + " " + u.Ref
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
