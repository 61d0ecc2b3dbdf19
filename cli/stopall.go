package cli

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/containerdrt"
)

// containerStopper is the part of the runtime that stops and removes containers.
type containerStopper interface {
	Stop(ctx context.Context, id string, signal string, grace time.Duration) (int, error)
	Remove(ctx context.Context, id string) error
}

// stopInOrder stops and removes containers in reverse dependency order (docs/spec/runtime.md
// §12.7 step 2-3): a container is stopped once every container that depends on it
// (per its lightshuttle.depends-on label) has been removed; independent ones stop in
// parallel. Removal is attempted even when stopping failed. Each failure is printed
// as `error: ...` and joined into the result; each removed container prints
// `<resource>: stopped`.
func stopInOrder(ctx context.Context, rt containerStopper, cs []containerdrt.Managed, grace time.Duration, out, errOut *render.LinePrinter) error {
	done := make(map[string]chan struct{}, len(cs))
	for _, c := range cs {
		done[c.Resource] = make(chan struct{})
	}
	dependents := map[string][]string{}
	for _, c := range cs {
		for _, d := range c.DependsOn {
			if _, ok := done[d]; ok && d != c.Resource {
				dependents[d] = append(dependents[d], c.Resource)
			}
		}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[c.Resource])
			for _, dep := range dependents[c.Resource] {
				<-done[dep]
			}
			if err := stopOne(ctx, rt, c, grace); err != nil {
				errOut.Printf("error: %v", err)
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			out.Printf("%s: stopped", c.Resource)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// stopOne stops (image stop signal, grace, then SIGKILL) and removes one container,
// within the teardown deadline (grace + 30 s).
func stopOne(ctx context.Context, rt containerStopper, c containerdrt.Managed, grace time.Duration) error {
	op := fmt.Sprintf("remove container %s of resource %q", c.ID, c.Resource)
	return containerdrt.Teardown(ctx, containerdrt.TeardownTimeout(grace), op, func(ctx context.Context) error {
		_, stopErr := rt.Stop(ctx, c.ID, "", grace)
		if err := rt.Remove(ctx, c.ID); err != nil {
			return fmt.Errorf("remove container %s of resource %q: %w", c.ID, c.Resource, err)
		}
		if stopErr != nil {
			return fmt.Errorf("stop container %s of resource %q: %w", c.ID, c.Resource, stopErr)
		}
		return nil
	})
}

// noAnswerHint follows the errors of a teardown that containerd did not answer.
const noAnswerHint = "hint: containerd did not answer, so something may be left; " +
	"once it answers again, run lsctl down to remove the rest"

// printNoAnswerHint prints noAnswerHint when a step of err failed because containerd
// did not answer (in time), and reports whether it did.
func printNoAnswerHint(errOut *render.LinePrinter, err error) bool {
	if !errors.Is(err, containerdrt.ErrUnavailable) {
		return false
	}
	errOut.Printf("%s", noAnswerHint)
	return true
}
