package actors

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/lightshuttle/lsctl/plan"
)

// Status is a resource's state as ps, the control API and the dashboard show it; the
// values are wire values (docs/spec/runtime.md §12.1).
type Status string

// Statuses (docs/spec/runtime.md §12.1).
const (
	StatusPending   Status = "pending"
	StatusPulling   Status = "pulling"
	StatusBuilding  Status = "building"
	StatusStarting  Status = "starting"
	StatusRunning   Status = "running"
	StatusHealthy   Status = "healthy"
	StatusUnhealthy Status = "unhealthy"
	StatusExited    Status = "exited"
	StatusFailed    Status = "failed"
	StatusStopping  Status = "stopping"
	StatusStopped   Status = "stopped"
)

// View is a resource's state as shown by ps and the control API (docs/spec/runtime.md §14).
// Pointer fields are null in JSON when not applicable.
type View struct {
	Name        string             `json:"name"`
	Kind        string             `json:"kind"`
	Status      Status             `json:"status"`
	Image       string             `json:"image"`
	ContainerID *string            `json:"container_id"`
	IP          *string            `json:"ip"`
	Ports       []plan.PortBinding `json:"ports"`
	StartedAt   *time.Time         `json:"started_at"`
	Restarts    int                `json:"restarts"`
	ExitCode    *int               `json:"exit_code"`
	LastError   *string            `json:"last_error"`
	DependsOn   []string           `json:"depends_on"`
}

// MarshalJSON writes the fields in the order of docs/spec/runtime.md §14, started_at with nine
// fractional digits, and [] for empty lists.
func (v View) MarshalJSON() ([]byte, error) {
	out := struct {
		Name        string             `json:"name"`
		Kind        string             `json:"kind"`
		Status      Status             `json:"status"`
		Image       string             `json:"image"`
		ContainerID *string            `json:"container_id"`
		IP          *string            `json:"ip"`
		Ports       []plan.PortBinding `json:"ports"`
		StartedAt   *string            `json:"started_at"`
		Restarts    int                `json:"restarts"`
		ExitCode    *int               `json:"exit_code"`
		LastError   *string            `json:"last_error"`
		DependsOn   []string           `json:"depends_on"`
	}{v.Name, v.Kind, v.Status, v.Image, v.ContainerID, v.IP, v.Ports, nil, v.Restarts,
		v.ExitCode, v.LastError, v.DependsOn}
	if v.StartedAt != nil {
		s := v.StartedAt.UTC().Format(TimeFormat)
		out.StartedAt = &s
	}
	if out.Ports == nil {
		out.Ports = []plan.PortBinding{}
	}
	if out.DependsOn == nil {
		out.DependsOn = []string{}
	}
	return json.Marshal(out)
}

// clone returns a deep copy so callers cannot race with the actors.
func (v View) clone() View {
	c := v
	c.Ports = append([]plan.PortBinding{}, v.Ports...)
	c.DependsOn = append([]string{}, v.DependsOn...)
	c.ContainerID = clonePtr(v.ContainerID)
	c.IP = clonePtr(v.IP)
	c.StartedAt = clonePtr(v.StartedAt)
	c.ExitCode = clonePtr(v.ExitCode)
	c.LastError = clonePtr(v.LastError)
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// views holds every resource's view; actors write their own entry, the Handle reads.
type views struct {
	mu    sync.Mutex
	order []string
	byN   map[string]*View
}

func newViews(p *plan.Plan) *views {
	vs := &views{byN: map[string]*View{}}
	for _, n := range p.Nodes {
		vs.order = append(vs.order, n.Name)
		vs.byN[n.Name] = &View{
			Name: n.Name, Kind: string(n.Kind), Status: StatusPending, Image: n.Spec.Image,
			DependsOn: append([]string{}, n.DependsOn...),
		}
	}
	return vs
}

// update applies f to the named view under the lock.
func (vs *views) update(name string, f func(v *View)) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if v := vs.byN[name]; v != nil {
		f(v)
	}
}

func (vs *views) get(name string) (View, bool) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	v := vs.byN[name]
	if v == nil {
		return View{}, false
	}
	return v.clone(), true
}

func (vs *views) list() []View {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	out := make([]View, 0, len(vs.order))
	for _, n := range vs.order {
		out = append(out, vs.byN[n].clone())
	}
	return out
}
