package cli

import (
	"fmt"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control"
)

// statusUnknown replaces, in ps's STATUS column, a status that claims a live task
// while the supervising up cannot reach containerd: the task may have exited since.
const statusUnknown = "unknown"

// statusesUnknown returns the views with every live status (starting, running,
// healthy, unhealthy, stopping) shown as unknown; exited, failed and stopped ones
// cannot change without containerd and are kept.
func statusesUnknown(views []actors.View) []actors.View {
	out := make([]actors.View, len(views))
	for i, v := range views {
		if isUp(v) || v.Status == actors.StatusStarting || v.Status == actors.StatusStopping {
			v.Status = statusUnknown
		}
		out[i] = v
	}
	return out
}

// unavailableNotice is ps's line while the supervising up cannot reach containerd.
func unavailableNotice(project string, owner control.OwnerInfo) string {
	return fmt.Sprintf("[%s] containerd unavailable: %s; statuses are unknown until it answers again, then %s reconciles every resource with it",
		project, owner.ContainerdError, owner.Owner())
}
