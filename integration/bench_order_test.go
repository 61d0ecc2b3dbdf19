package integration

import (
	"errors"
	"fmt"
	"sync"
)

// runGated runs fn for every resource of order in parallel, each only after fn
// succeeded for every resource waits[r] names: dependency order for a startup (waits =
// deps), reverse order for a shutdown (waits = dependents). A failure stops nothing
// already running but skips everything waiting on it; the errors are joined.
func runGated(order []string, waits map[string][]string, fn func(res string) error) error {
	done := make(map[string]chan struct{}, len(order))
	ok := make(map[string]bool, len(order))
	var mu sync.Mutex
	for _, r := range order {
		done[r] = make(chan struct{})
	}
	errs := make([]error, len(order))
	var wg sync.WaitGroup
	for i, r := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[r])
			for _, w := range waits[r] {
				ch, known := done[w]
				if !known {
					errs[i] = fmt.Errorf("%s waits for unknown resource %s", r, w)
					return
				}
				<-ch
				mu.Lock()
				good := ok[w]
				mu.Unlock()
				if !good {
					errs[i] = fmt.Errorf("%s skipped: %s failed", r, w)
					return
				}
			}
			if errs[i] = fn(r); errs[i] == nil {
				mu.Lock()
				ok[r] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
