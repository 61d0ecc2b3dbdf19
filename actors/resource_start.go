package actors

import (
	"context"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// acquireImage joins (or leads) the stack-wide acquisition of the node's image.
func (a *resource) acquireImage() {
	gen, ctx, self, root := a.gen, a.ctx, a.self, a.root
	notify := func(phase containerdrt.ProgressPhase) { root.Send(self, imageProgress{gen: gen, phase: phase}) }
	a.run(func() opResult {
		return imageDone{opBase{gen}, a.timed(PhaseImage, func() error { return a.images.acquire(ctx, a.rt, &a.node.Spec, notify) })}
	})
}

// statePending: acquiring the image, preparing, and waiting for dependencies.
func (a *resource) statePending(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case imageProgress:
		a.onImageProgress(m)
	case imageDone:
		if !a.current(m) {
			return
		}
		if m.err != nil {
			// The runtime's errors already name the image in the spec's words
			// ("failed to pull image <ref>: ...", "image build failed: ...").
			a.failBecause(m.err.Error(), m.err)
			return
		}
		a.imageReady = true
		if a.status == StatusPulling || a.status == StatusBuilding {
			a.setStatus(StatusPending)
		}
		a.maybePrepare()
	case netReady:
		a.netUp = true
		a.maybePrepare()
	case prepared:
		a.onPrepared(m)
	case depReady:
		a.depOutputs[m.name] = m.outputs
		delete(a.waiting, m.name)
		a.maybeStart()
	case depFailed:
		a.failDependency(m.dep)
	default:
		a.common(ctx)
	}
}

// onImageProgress turns the first pulling/building phase into status and event.
func (a *resource) onImageProgress(m imageProgress) {
	if m.gen != a.gen || a.winding.aborted() || a.imageReady {
		return
	}
	switch {
	case m.phase == containerdrt.PhasePulling && a.status != StatusPulling:
		a.setStatus(StatusPulling)
		a.emit(Event{Type: ResourcePulling, Image: a.node.Spec.Image})
	case m.phase == containerdrt.PhaseBuilding && a.status != StatusBuilding:
		a.setStatus(StatusBuilding)
		a.emit(Event{Type: ResourceBuilding, Image: a.node.Spec.Image})
	}
}

// maybePrepare creates the container once the image and the network are there
// (§12.2 step 4), without waiting for dependencies.
func (a *resource) maybePrepare() {
	if !a.imageReady || !a.netUp || a.preparing || a.container != nil {
		return
	}
	a.preparing = true
	a.prepare()
}

// prepare runs rt.Prepare for the current incarnation. What a failing create writes
// to the log (a runtime error) belongs to this attempt: its lines count from now.
func (a *resource) prepare() {
	gen, ctx := a.gen, a.ctx
	a.logSince = a.o.Now()
	a.run(func() opResult {
		var c containerdrt.Container
		err := a.timed(PhasePrepare, func() (err error) {
			defer a.watchSlowStep(gen, PhasePrepare)()
			c, err = a.rt.Prepare(ctx, &a.node.Spec)
			return err
		})
		return prepared{opBase{gen}, c, err, a.o.Now()}
	})
}

// onPrepared records the container, or fails the resource.
func (a *resource) onPrepared(m prepared) {
	if !a.current(m) {
		a.adoptStale(m)
		return
	}
	a.preparing = false
	if m.err != nil {
		a.failBecause(fmt.Sprintf("creating container: %v", m.err), m.err)
		return
	}
	a.setContainer(m)
	// The container's own lines start now: an adopted one's older lines, and those a
	// replaced container wrote while Prepare stopped it, are not this attempt's.
	a.logSince = m.at
	a.maybeStart()
}

// setContainer records a freshly prepared container in the actor and its view.
func (a *resource) setContainer(m prepared) {
	a.container = m.c
	a.adopted = m.c.Adopted()
	id, ip := m.c.ID(), m.c.IP()
	a.views.update(a.node.Name, func(v *View) {
		v.ContainerID, v.IP, v.Ports = &id, &ip, m.c.Ports()
	})
}

// adoptStale keeps a container prepared by a cancelled incarnation so that stopping
// removes it; a second one is removed at once.
func (a *resource) adoptStale(m prepared) {
	if m.c == nil {
		return
	}
	if a.container == nil {
		a.setContainer(m)
		return
	}
	id := m.c.ID()
	op := fmt.Sprintf("remove container %s of resource %q", id, a.node.Name)
	a.run(func() opResult {
		return stopDone{opBase: opBase{-1}, err: containerdrt.Teardown(context.Background(), a.teardownTimeout(), op,
			func(ctx context.Context) error { return a.rt.Remove(ctx, id) })}
	})
}

// maybeStart starts the task once it is prepared and every dependency is ready (§12.2
// step 5): no level barrier.
func (a *resource) maybeStart() {
	if a.container == nil || len(a.waiting) > 0 || a.winding.aborted() {
		return
	}
	a.startTask()
}

// startTask emits resource_starting and starts the task.
func (a *resource) startTask() {
	a.setStatus(StatusStarting)
	a.emit(Event{Type: ResourceStarting})
	a.become(lcStarting, a.stateStarting)
	gen, ctx, c := a.gen, a.ctx, a.container
	a.run(func() opResult {
		err := a.timed(PhaseStart, func() error {
			defer a.watchSlowStep(gen, PhaseStart)()
			return c.Start(ctx)
		})
		return startDone{opBase{gen}, err, a.o.Now()}
	})
}

// failDependency marks a never-started resource failed because dep failed (§12.3).
func (a *resource) failDependency(dep string) {
	a.cancel()
	a.gen++
	a.failWith(fmt.Sprintf("not started: dependency %q failed", dep))
}
