package actors

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// EventType names an event; the values are wire values of the NDJSON stream
// (docs/spec/runtime.md §13.1).
type EventType string

// Event types (docs/spec/runtime.md §13.1).
const (
	StackStarting      EventType = "stack_starting"
	StackStarted       EventType = "stack_started"
	StackStopping      EventType = "stack_stopping"
	StackStopped       EventType = "stack_stopped"
	ResourcePulling    EventType = "resource_pulling"
	ResourceBuilding   EventType = "resource_building"
	ResourceStarting   EventType = "resource_starting"
	ResourceStarted    EventType = "resource_started"
	ResourceHealthy    EventType = "resource_healthy"
	ResourceUnhealthy  EventType = "resource_unhealthy"
	ResourceExited     EventType = "resource_exited"
	ResourceFailed     EventType = "resource_failed"
	ResourceRestarting EventType = "resource_restarting"
	ResourceStopping   EventType = "resource_stopping"
	ResourceStopped    EventType = "resource_stopped"
	ResourceWaiting    EventType = "resource_waiting"
)

// TimeFormat is the ts format: RFC 3339 in UTC with exactly nine fractional digits.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// Event is one lifecycle event. Which fields are meaningful depends on Type; MarshalJSON
// writes exactly the fields of docs/spec/runtime.md §13.1 for the type.
type Event struct {
	Type        EventType
	Resource    string
	TS          time.Time
	Project     string
	Image       string
	ContainerID string
	Error       string
	ExitCode    *int
	Attempt     int
	// Step, Waited and Task describe a resource_waiting: the phase (PhasePrepare,
	// PhaseStart) that has been waiting on containerd for Waited, and the state
	// containerd reports for the task meanwhile.
	Step   string
	Waited time.Duration
	Task   string
}

// IsStackEvent reports whether the event is about the whole stack (no resource key).
func (e Event) IsStackEvent() bool { return strings.HasPrefix(string(e.Type), "stack_") }

// MarshalJSON writes the keys in the order type, resource, ts, then the type's fields.
func (e Event) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"type":`)
	writeJSON(&b, e.Type)
	if !e.IsStackEvent() {
		b.WriteString(`,"resource":`)
		writeJSON(&b, e.Resource)
	}
	b.WriteString(`,"ts":`)
	writeJSON(&b, e.TS.UTC().Format(TimeFormat))
	switch e.Type {
	case StackStarting, StackStarted, StackStopping, StackStopped:
		b.WriteString(`,"project":`)
		writeJSON(&b, e.Project)
	case ResourcePulling, ResourceBuilding:
		b.WriteString(`,"image":`)
		writeJSON(&b, e.Image)
	case ResourceStarted:
		b.WriteString(`,"container_id":`)
		writeJSON(&b, e.ContainerID)
	case ResourceExited:
		b.WriteString(`,"exit_code":`)
		if e.ExitCode == nil {
			b.WriteString("null")
		} else {
			writeJSON(&b, *e.ExitCode)
		}
	case ResourceFailed:
		b.WriteString(`,"error":`)
		writeJSON(&b, e.Error)
	case ResourceRestarting:
		b.WriteString(`,"attempt":`)
		writeJSON(&b, e.Attempt)
	case ResourceWaiting:
		b.WriteString(`,"step":`)
		writeJSON(&b, e.Step)
		b.WriteString(`,"waited_s":`)
		writeJSON(&b, int(e.Waited.Seconds()))
		b.WriteString(`,"task":`)
		writeJSON(&b, e.Task)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeJSON appends v encoded; strings, ints cannot fail to encode.
func writeJSON(b *bytes.Buffer, v any) {
	out, _ := json.Marshal(v)
	b.Write(out)
}
