package control

import (
	"fmt"
	"time"

	"github.com/lightshuttle/lsctl/actors"
)

// The JSON bodies the server writes and the client reads. The server encodes
// actors.View and actors.Event itself; these are the other shapes of §15.

// OwnerInfo is the body of GET /healthz: who owns the stack.
type OwnerInfo struct {
	Status     string `json:"status"`
	Project    string `json:"project"`
	PID        int    `json:"pid"`
	Supervisor bool   `json:"supervisor"`
	// Containerd is "available" or "unavailable": whether the owner's containerd
	// answers (checked at most once a second); ContainerdError says why not.
	Containerd      string `json:"containerd"`
	ContainerdError string `json:"containerd_error,omitempty"`
}

// The values of OwnerInfo.Containerd.
const (
	ContainerdAvailable   = "available"
	ContainerdUnavailable = "unavailable"
)

// Owner names the process that answered GET /healthz, for messages.
func (o OwnerInfo) Owner() string {
	if o.Supervisor {
		return fmt.Sprintf("the background supervisor (pid %d)", o.PID)
	}
	return fmt.Sprintf("lsctl up (pid %d)", o.PID)
}

// ErrorBody is a JSON error body of the control API.
type ErrorBody struct {
	Error    string `json:"error"`
	Resource string `json:"resource"`
}

// HandAnswer is the body of a stop, start or kill answer: Changed is false when
// the resource already was in the asked state, Handled whether PID 1 handles the
// signal sent.
type HandAnswer struct {
	Changed *bool         `json:"changed"`
	Status  actors.Status `json:"status"`
	Handled bool          `json:"handled"`
	Error   string        `json:"error"`
}

// Event is an event as the control API sends it (docs/spec/runtime.md §13.1).
type Event struct {
	Type        string `json:"type"`
	Resource    string `json:"resource"`
	ContainerID string `json:"container_id"`
	Error       string `json:"error"`
	ExitCode    *int   `json:"exit_code"`
	Attempt     int    `json:"attempt"`
}

// ActorEvent turns a decoded API event back into the engine's event for rendering;
// its time is now.
func (e Event) ActorEvent() actors.Event {
	return actors.Event{Type: actors.EventType(e.Type), Resource: e.Resource, ContainerID: e.ContainerID, Error: e.Error,
		ExitCode: e.ExitCode, Attempt: e.Attempt, TS: time.Now()}
}

// apiView decodes a view; started_at arrives in ts format.
type apiView struct {
	actors.View
	StartedAt *time.Time `json:"started_at"`
}

func (v apiView) view() actors.View {
	out := v.View
	out.StartedAt = v.StartedAt
	return out
}
