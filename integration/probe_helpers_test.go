package integration

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/containerd/containerd/api/events"
	"github.com/containerd/containerd/api/services/tasks/v1"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	"github.com/containerd/typeurl/v2"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// execCounter counts the exec processes containerd adds to tasks of env's namespace,
// per container, from its creation on: the robust observable of "no runc exec" (an
// exec lives milliseconds, but containerd publishes /tasks/exec-added for every one).
type execCounter struct {
	mu     sync.Mutex
	counts map[string]int
	added  []*tasks.GetRequest // container and exec id of every exec added
}

// countExecs subscribes to containerd's exec-added events until the test ends.
func countExecs(t testing.TB, env *harness.Env) *execCounter {
	t.Helper()
	c, ctx := ctrClient(t, env)
	return watchExecs(t, c, ctx, env.Namespace)
}

// watchExecs is countExecs with a client and namespace of the caller's.
func watchExecs(t testing.TB, c *containerd.Client, ctx context.Context, namespace string) *execCounter {
	t.Helper()
	ctx, cancel := context.WithCancel(namespaces.WithNamespace(ctx, namespace))
	t.Cleanup(cancel)
	ch, errs := c.EventService().Subscribe(ctx, `topic=="/tasks/exec-added",namespace==`+namespace)
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
					ec.added = append(ec.added, &tasks.GetRequest{ContainerID: added.ContainerID, ExecID: added.ExecID})
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

// assertExecsDeleted checks that containerd, within 15 s, knows none of the exec
// processes added to container id (each probe deletes its own, whatever its end: the
// shim first waits up to 10 s for the output of a probe's background child). Polled:
// containerd publishes no event for an exec's delete.
func assertExecsDeleted(t *testing.T, c *containerd.Client, ctx context.Context, namespace, id string, ec *execCounter) {
	t.Helper()
	ctx = namespaces.WithNamespace(ctx, namespace)
	ec.mu.Lock()
	var left []*tasks.GetRequest
	for _, req := range ec.added {
		if req.ContainerID == id {
			left = append(left, req)
		}
	}
	ec.mu.Unlock()
	if len(left) == 0 {
		t.Fatalf("no exec-added event seen for %s", id)
	}
	for deadline := time.Now().Add(15 * time.Second); len(left) > 0; {
		_, err := c.TaskService().Get(ctx, left[0])
		if err = errgrpc.ToNative(err); errdefs.IsNotFound(err) {
			left = left[1:]
			continue
		}
		if err != nil && !errdefs.IsFailedPrecondition(err) {
			t.Fatalf("get exec %s: %v", left[0].ExecID, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("exec %s of %s still known to containerd 15 s after its probe (%d not deleted)", left[0].ExecID, id, len(left))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
