// Package controltest is a fake running stack for tests of the control API and of
// the commands that talk to it: a control.Plane whose events the test publishes.
package controltest

import (
	"context"
	"sync"

	"github.com/lightshuttle/lsctl/actors"
)

// Plane is a control.Plane over fixed views; Publish sends an event to every
// subscriber.
type Plane struct {
	mu      sync.Mutex
	project string
	views   []actors.View
	subs    map[chan actors.Event]bool
	down    error // what Containerd reports

	// RestartErr is what Restart answers for a resource; set it before serving.
	RestartErr map[string]error
	// OnRestart runs in its own goroutine after each accepted restart.
	OnRestart func(name string)
}

// NewPlane returns a plane of project with these views.
func NewPlane(project string, views ...actors.View) *Plane {
	return &Plane{project: project, views: views, RestartErr: map[string]error{}, subs: map[chan actors.Event]bool{}}
}

func (f *Plane) Project() string { return f.project }

// List returns a copy of the views.
func (f *Plane) List() []actors.View {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]actors.View(nil), f.views...)
}

func (f *Plane) Get(name string) (actors.View, bool) {
	for _, v := range f.List() {
		if v.Name == name {
			return v, true
		}
	}
	return actors.View{}, false
}

// SetStatus changes a view's status.
func (f *Plane) SetStatus(name string, status actors.Status) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.views {
		if f.views[i].Name == name {
			f.views[i].Status = status
		}
	}
}

// Containerd reports what SetContainerd set: nil while containerd "answers".
func (f *Plane) Containerd(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down
}

// SetContainerd makes Containerd report err (nil: it answers again).
func (f *Plane) SetContainerd(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = err
}

func (f *Plane) Restart(name string) error {
	if _, ok := f.Get(name); !ok {
		return actors.ErrUnknownResource
	}
	if err := f.RestartErr[name]; err != nil {
		return err
	}
	if f.OnRestart != nil {
		go f.OnRestart(name)
	}
	return nil
}

func (f *Plane) Subscribe(bool) (<-chan actors.Event, func()) {
	ch := make(chan actors.Event, 16)
	f.mu.Lock()
	f.subs[ch] = true
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.subs[ch] {
			delete(f.subs, ch)
			close(ch)
		}
	}
}

// Publish sends e to every subscriber.
func (f *Plane) Publish(e actors.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		ch <- e
	}
}

// Subscribers is the number of open subscriptions.
func (f *Plane) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// ShopViews is a small stack: db, a healthy postgres restarted twice, and api, a
// running container.
func ShopViews() []actors.View {
	return []actors.View{
		{Name: "db", Kind: "postgres", Status: "healthy", Restarts: 2},
		{Name: "api", Kind: "container", Status: "running"},
	}
}
