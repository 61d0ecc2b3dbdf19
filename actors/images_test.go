package actors

import (
	"errors"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/fakert"
	"github.com/lightshuttle/lsctl/plan"
)

// §12.2 step 3 (issue 16 item 2): pulls begun before the engine, while up still runs
// its preflight steps, are joined by the resources: each image is fetched once, and a
// resource joining a pull in progress still reports pulling.
func TestPrefetchedImagesJoined(t *testing.T) {
	b := newPlan("p")
	b.add("a")
	b.add("b")
	b.add("c", "a")
	b.p.Nodes[2].Spec.Image = b.p.Nodes[0].Spec.Image
	rt := fakert.New()
	for _, r := range []string{"a", "b", "c"} {
		rt.Set(r, fakert.Behavior{Pull: 50 * time.Millisecond})
	}
	images := NewImages()
	images.Prefetch(rt, b.p)
	awaitCalls(t, rt, "ensure-image", 0, 2, 5*time.Second)
	o := fast()
	o.Images = images
	s := startReady(t, b.p, rt, o)
	if n := len(rt.CallsOf("ensure-image")); n != 2 {
		t.Fatalf("%d acquisitions of two images", n)
	}
	for _, r := range []string{"a", "b", "c"} {
		s.await(ResourcePulling, r, time.Second)
	}
}

// A startup abandoned while a prefetched pull runs cancels it, and Done waits for it.
func TestShutdownCancelsPrefetch(t *testing.T) {
	b := newPlan("p")
	b.add("db")
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{Pull: time.Hour})
	images := NewImages()
	images.Prefetch(rt, b.p)
	o := fast()
	o.Images = images
	s := startStack(t, b.p, rt, o)
	s.await(ResourcePulling, "db", 2*time.Second)
	s.h.Shutdown(false)
	if err := s.waitReady(5 * time.Second); !errors.Is(err, ErrStartupCancelled) {
		t.Fatalf("WaitReady = %v", err)
	}
	s.waitDone(5 * time.Second)
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
}

// An up whose preflight fails after the prefetch began closes it: the pull is
// cancelled and Close returns once it has ended. Builds are not prefetched.
func TestImagesCloseCancelsPrefetch(t *testing.T) {
	b := newPlan("p")
	b.add("db")
	b.add("app")
	b.p.Nodes[1].Spec.Build = &plan.BuildSpec{Context: "/src"}
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{Pull: time.Hour})
	images := NewImages()
	images.Prefetch(rt, b.p)
	awaitCalls(t, rt, "ensure-image", 0, 1, 5*time.Second)
	closed := make(chan struct{})
	go func() { images.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return: the pull was not cancelled")
	}
	if n := len(rt.CallsOf("ensure-image")); n != 1 {
		t.Fatalf("%d acquisitions, want db's only (app is built)", n)
	}
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
}
