package integration

import (
	"testing"

	"github.com/containerd/containerd/v2/core/leases"

	"github.com/lightshuttle/lsctl/plan"
)

// issue 12 item 2, issue 11 item 6: a lease left by a killed lsctl carries its
// project's label, and down's RemoveLeases deletes the project's leases, and only those.
func TestRemoveLeases(t *testing.T) {
	e := newRTEnv(t)
	ls := e.raw.LeasesService()
	create := func(labels map[string]string) string {
		t.Helper()
		l, err := ls.Create(e.ctx, leases.WithRandomID(), leases.WithLabels(labels))
		if err != nil {
			t.Fatalf("create lease: %v", err)
		}
		t.Cleanup(func() { _ = ls.Delete(e.ctx, l) })
		return l.ID
	}
	mine := []string{create(map[string]string{plan.LabelProject: "rtlease"}), create(map[string]string{plan.LabelProject: "rtlease"})}
	kept := []string{create(map[string]string{plan.LabelProject: "rtlease-other"}), create(nil)}
	if err := e.c.RemoveLeases(e.ctx, "rtlease"); err != nil {
		t.Fatalf("RemoveLeases: %v", err)
	}
	left := map[string]bool{}
	all, err := ls.List(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range all {
		left[l.ID] = true
	}
	for _, id := range mine {
		if left[id] {
			t.Errorf("lease %s of the project is still there", id)
		}
	}
	for _, id := range kept {
		if !left[id] {
			t.Errorf("lease %s of another project (or none) was deleted", id)
		}
	}
}
