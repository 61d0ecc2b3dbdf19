package integration

import (
	"context"
	"sync"
	"testing"

	"github.com/containerd/containerd/api/events"
	"github.com/containerd/typeurl/v2"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// execCounter counts the exec processes containerd adds to tasks of env's namespace,
// per container, from its creation on: the robust observable of "no runc exec" (an
// exec lives milliseconds, but containerd publishes /tasks/exec-added for every one).
type execCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

// countExecs subscribes to containerd's exec-added events until the test ends.
func countExecs(t testing.TB, env *harness.Env) *execCounter {
	t.Helper()
	c, ctx := ctrClient(t, env)
	ctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	ch, errs := c.EventService().Subscribe(ctx, `topic=="/tasks/exec-added",namespace==`+env.Namespace)
	ec := &execCounter{counts: map[string]int{}}
	go func() {
		for {
			select {
			case e := <-ch:
				if e == nil || e.Event == nil {
					continue
				}
				v, err := typeurl.UnmarshalAny(e.Event)
				if added, ok := v.(*events.TaskExecAdded); err == nil && ok {
					ec.mu.Lock()
					ec.counts[added.ContainerID]++
					ec.mu.Unlock()
				}
			case <-errs:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return ec
}

// of is the number of execs added so far in container id.
func (ec *execCounter) of(id string) int {
	ec.mu.Lock()
	defer ec.mu.Unlock()
	return ec.counts[id]
}

// total is the number of execs added so far in the namespace.
func (ec *execCounter) total() int {
	ec.mu.Lock()
	defer ec.mu.Unlock()
	n := 0
	for _, c := range ec.counts {
		n += c
	}
	return n
}
