package containerdrt

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/errdefs"

	"github.com/lightshuttle/lsctl/plan"
)

// leaseExpiry is the longest a lease of a killed lsctl holds its resources when no
// down removes it: a container's create takes seconds, not the client default's day.
const leaseExpiry = time.Hour

// withProjectLease is the client's WithLease with the project's label, so that
// RemoveLeases finds a lease whose deferred delete never ran (lsctl was killed).
func (c *Client) withProjectLease(ctx context.Context, project string) (context.Context, func(context.Context) error, error) {
	return c.cd.WithLease(ctx, leases.WithRandomID(), leases.WithExpiration(leaseExpiry),
		leases.WithLabel(plan.LabelProject, project))
}

// leased runs f under a lease of its own that is deleted afterwards even when ctx was
// cancelled, collecting garbage at once when f failed. The client's Pull makes a lease of a day and
// deletes it with the caller's context, which fails once Ctrl-C cancelled the pull:
// the lease would then keep the fetched blobs and the partial download (a content
// ingest) for a day (docs/spec/runtime.md §12.8, §17 item 41).
func (c *Client) leased(ctx context.Context, f func(context.Context) error) error {
	ls := c.cd.LeasesService()
	l, err := ls.Create(ctx, leases.WithRandomID(), leases.WithExpiration(leaseExpiry))
	if err != nil {
		return c.wrapUnavailable(fmt.Errorf("create lease: %w", err))
	}
	err = f(leases.WithLease(ctx, l.ID))
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var opts []leases.DeleteOpt
	if err != nil {
		// What a failed f left is held by nothing else: gone before the caller
		// reports the failure. After success the daemon's next collection will do.
		opts = append(opts, leases.SynchronousDelete)
	}
	if derr := ls.Delete(dctx, l, opts...); derr != nil && !errdefs.IsNotFound(derr) && err == nil {
		err = c.wrapUnavailable(fmt.Errorf("delete lease %s: %w", l.ID, derr))
	}
	return err
}

// RemoveLeases deletes the project's leases. Each lsctl deletes its own when its work
// ends, so the ones left belong to a process that was killed; the caller holds the
// project lock (docs/spec/runtime.md §12.9), so no work of the project is under way. The delete
// collects garbage at once: a snapshot whose container was never created is held by
// nothing else.
func (c *Client) RemoveLeases(ctx context.Context, project string) error {
	ls := c.cd.LeasesService()
	found, err := ls.List(ctx, fmt.Sprintf("labels.%q==%s", plan.LabelProject, strconv.Quote(project)))
	if err != nil {
		return c.wrapUnavailable(fmt.Errorf("list leases of project %q: %w", project, err))
	}
	var errs []error
	for _, l := range found {
		if err := ls.Delete(ctx, l, leases.SynchronousDelete); err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete lease %s of project %q: %w", l.ID, project, err))
		}
	}
	return errors.Join(errs...)
}
