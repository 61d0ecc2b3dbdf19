package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control"
	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/containerdrt"
)

// inDependencyOrder runs fn for every name in parallel, each once the names listed in
// after[name] have finished. With blocking, a name one of whose prerequisites failed
// does not run and fails naming it; without, it runs anyway (a stop is attempted even
// when a dependent's failed). It returns every failure joined.
func inDependencyOrder(names []string, after map[string][]string, blocking bool, fn func(name string) error) error {
	done := make(map[string]chan struct{}, len(names))
	for _, n := range names {
		done[n] = make(chan struct{})
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed = map[string]bool{}
		errs   []error
	)
	for _, n := range names {
		wg.Go(func() {
			defer close(done[n])
			for _, p := range after[n] {
				if ch, ok := done[p]; ok && p != n {
					<-ch
				}
			}
			mu.Lock()
			blocker := ""
			for _, p := range after[n] {
				if failed[p] && blocking {
					blocker = p
					break
				}
			}
			mu.Unlock()
			err := fmt.Errorf("%s: not started: dependency %s failed", n, blocker)
			if blocker == "" {
				err = fn(n)
			}
			if err != nil {
				mu.Lock()
				failed[n] = true
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// dependencyGraph is each resource's dependencies: from the plan (implicit ones from
// references included) when it can be built, else from the views.
func (s *session) dependencyGraph(ld *loaded, views []actors.View) map[string][]string {
	deps := map[string][]string{}
	if p, _ := s.readOnlyPlan(ld, false); p != nil {
		for _, n := range p.Nodes {
			deps[n.Name] = n.DependsOn
		}
		return deps
	}
	for _, v := range views {
		deps[v.Name] = v.DependsOn
	}
	return deps
}

// reverseEdges turns "depends on" into "is depended on by".
func reverseEdges(deps map[string][]string) map[string][]string {
	out := map[string][]string{}
	for n, ds := range deps {
		for _, d := range ds {
			out[d] = append(out[d], n)
		}
	}
	return out
}

// closure is start plus everything reachable through edges, in declaration order.
func closure(start []string, edges map[string][]string, declared []string) []string {
	seen := map[string]bool{}
	var visit func(n string)
	visit = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		for _, m := range edges[n] {
			visit(m)
		}
	}
	for _, n := range start {
		visit(n)
	}
	var out []string
	for _, n := range declared {
		if seen[n] {
			out = append(out, n)
		}
	}
	return out
}

// within keeps, for each name, only its edges to other names of the set.
func within(names []string, edges map[string][]string) map[string][]string {
	out := map[string][]string{}
	for _, n := range names {
		for _, m := range edges[n] {
			if slices.Contains(names, m) {
				out[n] = append(out[n], m)
			}
		}
	}
	return out
}

// viewOf returns the named view (a stopped one when the resource has none).
func viewOf(views []actors.View, name string) actors.View {
	if i := slices.IndexFunc(views, func(v actors.View) bool { return v.Name == name }); i >= 0 {
		return views[i]
	}
	return actors.View{Name: name, Status: actors.StatusStopped}
}

// eventRouter hands each resource's events from one stream to whoever watches it.
type eventRouter struct {
	mu       sync.Mutex
	watchers map[string]chan control.Event
	closed   bool
}

// routeEvents starts routing; a watcher's channel closes when the stream ends.
func routeEvents(events <-chan control.Event) *eventRouter {
	r := &eventRouter{watchers: map[string]chan control.Event{}}
	go func() {
		for e := range events {
			r.mu.Lock()
			if ch := r.watchers[e.Resource]; ch != nil {
				select {
				case ch <- e:
				default: // a watcher that fell 64 events behind only needs its outcome
				}
			}
			r.mu.Unlock()
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.closed = true
		for _, ch := range r.watchers {
			close(ch)
		}
	}()
	return r
}

// watch returns the events of resource from now on.
func (r *eventRouter) watch(resource string) <-chan control.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := make(chan control.Event, 64)
	if r.closed {
		close(ch)
		return ch
	}
	r.watchers[resource] = ch
	return ch
}

// handRequest is a stop or start by hand through the stack's owner, and how to follow it.
type handRequest struct {
	op       string // the endpoint: stop or start
	query    url.Values
	blocking bool             // a failed prerequisite cancels the request (start)
	done     actors.EventType // the event that ends it well
	already  string           // printed when there was nothing to do
	lines    func(name string) map[actors.EventType]string
}

// requestInOrder sends the request for each target once those in after[target] are
// done, and prints each one's outcome. The event stream is opened first, and each
// resource watched before its request, so that no event is missed.
func (s *session) requestInOrder(ctx context.Context, cc *control.Client, targets []string, after map[string][]string, req handRequest) error {
	events, err := cc.Events(ctx)
	if err != nil {
		return fmt.Errorf("%s: open the event stream of %s: %w", req.op, cc.Owner(), err)
	}
	router := routeEvents(events)
	out := render.NewLinePrinter(s.stdout, nil)
	return inDependencyOrder(targets, after, req.blocking, func(name string) error {
		ch := router.watch(name)
		code, body, err := cc.PostHand(ctx, name, req.op, req.query)
		if err != nil {
			return err
		}
		switch code {
		case 200:
			out.Printf("%s: %s", name, req.already)
			return nil
		case 202:
			return s.awaitOutcome(ctx, ch, name, req.done, req.lines(name), out)
		}
		return handRefused(cc, req.op, name, code, body)
	})
}

// awaitOutcome prints the resource's events until want (or resource_failed) arrives.
// lines maps event types to the words printed after "<resource>: ".
func (s *session) awaitOutcome(ctx context.Context, ch <-chan control.Event, name string, want actors.EventType,
	lines map[actors.EventType]string, out *render.LinePrinter) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-ch:
			if !ok {
				return fmt.Errorf("%s: the event stream of the stack's owner ended first", name)
			}
			if l, ok := lines[actors.EventType(e.Type)]; ok {
				out.Printf("%s: %s", name, l)
			}
			switch actors.EventType(e.Type) {
			case want:
				return nil
			case actors.ResourceFailed:
				return fmt.Errorf("%s: %s", name, e.Error)
			}
		}
	}
}

// withSignals runs f with a context cancelled by SIGINT, SIGTERM or SIGHUP; after a
// signal the result is the signal's exit code (what was asked goes on).
func (s *session) withSignals(ctx context.Context, f func(ctx context.Context) error) error {
	sigs, stop := s.notifySignals()
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	result := make(chan error, 1)
	go func() { result <- f(ctx) }()
	select {
	case err := <-result:
		return err
	case sig := <-sigs:
		cancel()
		<-result
		return signalExit(sig)
	}
}

// reportAll prints each joined failure as an `error:` line and ends with exit 1.
func (s *session) reportAll(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	printErrors(s.stderr, err)
	return silentFailure()
}

// managedByResource indexes containers by resource.
func managedByResource(ms []containerdrt.Managed) map[string]containerdrt.Managed {
	out := map[string]containerdrt.Managed{}
	for _, m := range ms {
		out[m.Resource] = m
	}
	return out
}
