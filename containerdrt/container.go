package containerdrt

import (
	"context"
	"fmt"
	"net/url"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/image-spec/identity"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lightshuttle/lsctl/containerdrt/logdriver"
	"github.com/lightshuttle/lsctl/containerdrt/logfile"
	"github.com/lightshuttle/lsctl/plan"
)

// runcRuntime is the only task runtime lsctl uses (docs/spec/runtime.md §0).
const runcRuntime = "io.containerd.runc.v2"

// recreateGrace is the stop grace for a stale container replaced at Prepare.
const recreateGrace = 10 * time.Second

// Prepare adopts the resource's running container when its configuration hash matches,
// else stops and removes a stale one and creates a fresh container with its network
// and task, not started (docs/spec/runtime.md §4.4, §12.2 step 4). A container of the same id
// owned by another project or resource is never touched.
func (c *Client) Prepare(ctx context.Context, s *plan.ContainerSpec) (Container, error) {
	r, err := c.resolveSpec(ctx, s)
	if err != nil {
		return nil, err
	}
	adopted, err := c.reuseOrClear(ctx, s, r.hash)
	if err != nil || adopted != nil {
		return adopted, err
	}
	return c.create(ctx, s, r, taskIO{creator: cio.LogURI(c.logURI(s))})
}

// resolvedSpec is what a container is created from besides its spec: the image, its
// config, the merged process and the configuration hash.
type resolvedSpec struct {
	img  containerd.Image
	icfg plan.ImageConfig
	proc plan.Process
	hash string
}

func (c *Client) resolveSpec(ctx context.Context, s *plan.ContainerSpec) (resolvedSpec, error) {
	var r resolvedSpec
	var err error
	if r.img, err = c.getImage(ctx, s.Image); err != nil {
		return r, err
	}
	if r.icfg, err = imageConfigOf(ctx, r.img); err != nil {
		return r, err
	}
	if r.proc, err = plan.MergeProcess(s, r.icfg); err != nil {
		return r, err
	}
	r.hash, err = plan.ConfigHash(s, r.icfg)
	return r, err
}

// taskIO is where a new task's standard streams go: the binary log driver, or the
// caller's streams for a one-off container (with a terminal of the given size).
type taskIO struct {
	creator       cio.Creator
	terminal      bool
	width, height uint16
}

// reuseOrClear returns the adopted container when the existing one matches and runs;
// otherwise it removes an existing container of the same owner.
func (c *Client) reuseOrClear(ctx context.Context, s *plan.ContainerSpec, hash string) (*container, error) {
	existing, err := c.cd.LoadContainer(ctx, s.ID)
	if errdefs.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, c.wrapUnavailable(fmt.Errorf("load container %s: %w", s.ID, err))
	}
	labels, err := existing.Labels(ctx)
	if err != nil {
		return nil, fmt.Errorf("read labels of container %s: %w", s.ID, err)
	}
	if p, r := labels[plan.LabelProject], labels[plan.LabelResource]; p != s.Project || r != s.Resource {
		return nil, fmt.Errorf("container id %q is already used by project %q resource %q: %w", s.ID, p, r, ErrNotOwned)
	}
	if labels[plan.LabelConfigHash] == hash && labels[plan.LabelStopping] == "" {
		task, _, err := c.loadTaskPatiently(ctx, s.ID)
		if err != nil {
			return nil, fmt.Errorf("replace container %s: %w", s.ID, err)
		}
		if task != nil {
			if st, err := statusPatiently(ctx, task); err == nil && st.Status == containerd.Running {
				return c.adopt(ctx, existing, task, labels)
			}
		}
	}
	if labels[plan.LabelConfigHash] == hash && labels[plan.LabelStopped] != "" { // kept by `lsctl stop`
		if ct, err := c.revive(ctx, existing, s, labels); ct != nil || err != nil {
			return ct, err
		}
	}
	// A container whose stop was interrupted (a down killed half-way) is waited for
	// up to the grace: it was asked to shut down cleanly, a database flushing, say.
	if _, err := c.Stop(ctx, s.ID, "", recreateGrace); err != nil {
		return nil, fmt.Errorf("replace container %s: %w", s.ID, err)
	}
	if err := c.Remove(ctx, s.ID); err != nil {
		return nil, fmt.Errorf("replace container %s: %w", s.ID, err)
	}
	return nil, nil
}

func (c *Client) adopt(ctx context.Context, cont containerd.Container, task containerd.Task, labels map[string]string) (*container, error) {
	ports, err := c.labelPorts(labels)
	if err != nil {
		return nil, err
	}
	ct := &container{c: c, cont: cont, task: task, ip: labels[plan.LabelIP], ports: ports, adopted: true}
	if err := ct.watchExit(ctx); err != nil {
		return nil, err
	}
	return ct, nil
}

// create makes the snapshot, network, container and task, undoing what it did when a
// later step fails.
func (c *Client) create(ctx context.Context, s *plan.ContainerSpec, r resolvedSpec, tio taskIO) (_ Container, err error) {
	// The lease keeps the fresh snapshot from garbage collection until the container
	// record references it. A killed lsctl leaves it: down removes it (RemoveLeases).
	ctx, done, err := c.withProjectLease(ctx, s.Project)
	if err != nil {
		return nil, c.wrapUnavailable(fmt.Errorf("create container %s: lease: %w", s.ID, err))
	}
	defer done(context.WithoutCancel(ctx))
	cleanup := context.WithoutCancel(ctx)

	att, err := c.startAttach(ctx, s)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = att.wait() // a DEL must not race the ADD
			_ = c.detachNetwork(cleanup, s.ID)
		}
	}()
	in := specInput{Proc: r.proc, Hostname: hostnameOf(s), NetnsPath: att.netnsPath, AppArmor: c.appArmorProfile(),
		Terminal: tio.terminal, ConsoleWidth: tio.width, ConsoleHeight: tio.height}
	cont, process, err := c.newContainer(ctx, s, r.img, r.icfg, in, r.hash, att.ports)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = cont.Delete(cleanup, containerd.WithSnapshotCleanup)
		}
	}()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("create container %s: %w", s.ID, err)
	}
	sctx, cancel := settled(ctx)
	defer cancel()
	task, err := cont.NewTask(sctx, tio.creator)
	if errdefs.IsAlreadyExists(err) {
		// A task of this id outlived its container record (containerd died in the
		// middle of an earlier create): its shim would block every create forever.
		if rerr := c.removeOrphanTask(sctx, s.ID); rerr != nil {
			return nil, fmt.Errorf("create task of container %s: %w", s.ID, rerr)
		}
		task, err = cont.NewTask(sctx, tio.creator)
	}
	if err != nil {
		return nil, fmt.Errorf("create task of container %s: %w", s.ID, err)
	}
	ct := &container{c: c, cont: cont, task: task, ip: ipOf(s), ports: att.ports}
	if err := att.wait(); err != nil {
		_, _ = task.Delete(cleanup, containerd.WithProcessKill)
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		_, _ = task.Delete(cleanup, containerd.WithProcessKill)
		return nil, fmt.Errorf("create container %s: %w", s.ID, err)
	}
	if err := ct.watchExit(ctx); err != nil {
		_, _ = task.Delete(cleanup, containerd.WithProcessKill)
		return nil, err
	}
	c.execTargets.put(s.ID, &execTarget{task: task, proc: process})
	return ct, nil
}

// newContainer prepares the snapshot, the mounts and the container record. It also
// returns the spec's process, which probes run with.
func (c *Client) newContainer(ctx context.Context, s *plan.ContainerSpec, img containerd.Image, icfg plan.ImageConfig, in specInput, hash string, ports []plan.PortBinding) (_ containerd.Container, _ *specs.Process, err error) {
	diffIDs, err := img.RootFS(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read layers of image %s: %w", FamiliarName(s.Image), err)
	}
	sn := c.cd.SnapshotService(c.opts.Snapshotter)
	parent := identity.ChainID(diffIDs).String()
	sctx, cancel := settled(ctx)
	defer cancel()
	rootfs, err := sn.Prepare(sctx, s.ID, parent)
	if errdefs.IsAlreadyExists(err) { // left by a crash between create and delete
		if rerr := sn.Remove(sctx, s.ID); rerr != nil {
			return nil, nil, fmt.Errorf("remove leftover snapshot %s: %w", s.ID, rerr)
		}
		rootfs, err = sn.Prepare(sctx, s.ID, parent)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("prepare root filesystem of %s (is image %s unpacked for %s?): %w",
			s.ID, FamiliarName(s.Image), c.opts.Snapshotter, err)
	}
	defer func() {
		if err != nil {
			_ = sn.Remove(context.WithoutCancel(ctx), s.ID)
		}
	}()
	if in.Mounts, err = c.volumeMounts(ctx, s, icfg, rootfs); err != nil {
		return nil, nil, err
	}
	labels, err := c.containerLabels(s, hash, ports, in.Proc.StopSignal)
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("create container %s: %w", s.ID, err)
	}
	var process *specs.Process
	cont, err := c.cd.NewContainer(sctx, s.ID,
		containerd.WithImageName(s.Image),
		containerd.WithSnapshotter(c.opts.Snapshotter),
		containerd.WithSnapshot(s.ID),
		containerd.WithRuntime(runcRuntime, nil),
		containerd.WithContainerLabels(labels),
		containerd.WithNewSpec(append(specOpts(in), captureProcess(&process))...),
	)
	if errdefs.IsAlreadyExists(err) {
		return nil, nil, fmt.Errorf("create container %s: %w", s.ID, ErrAlreadyExists)
	}
	if err != nil {
		return nil, nil, c.wrapUnavailable(fmt.Errorf("create container %s: %w", s.ID, err))
	}
	return cont, process, nil
}

// settleTimeout bounds a containerd request that runs to completion despite cancellation.
const settleTimeout = 2 * time.Minute

// settled derives a context for a request whose outcome create must know: one the client
// cancels may still complete in the daemon (containerd 1.6 finishes a cancelled task
// create), and what it made would then be left behind. Cancellation is checked between
// such requests instead.
func settled(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
}

// logURI is the binary log URI of docs/spec/runtime.md §10.1: one query parameter, because the
// shim passes parameters in unspecified order.
func (c *Client) logURI(s *plan.ContainerSpec) *url.URL {
	path := s.LogPath
	if path == "" {
		path = plan.LogPath(c.opts.DataRoot, s.Project, s.Resource)
	}
	return c.driverURI(path)
}

// driverURI runs the log driver writing records to path.
func (c *Client) driverURI(path string) *url.URL {
	return &url.URL{
		Scheme:   "binary",
		Path:     c.opts.LogDriver,
		RawQuery: logdriver.Command + "=" + url.QueryEscape(path),
	}
}

func hostnameOf(s *plan.ContainerSpec) string {
	if s.Hostname != "" {
		return s.Hostname
	}
	return s.Resource
}

func ipOf(s *plan.ContainerSpec) string {
	if s.IP.IsValid() {
		return s.IP.String()
	}
	return ""
}

// container is a prepared container whose task exists.
type container struct {
	c       *Client
	cont    containerd.Container
	task    containerd.Task
	ip      string
	ports   []plan.PortBinding
	adopted bool
	exited  <-chan ExitStatus
}

func (ct *container) ID() string                { return ct.cont.ID() }
func (ct *container) IP() string                { return ct.ip }
func (ct *container) Ports() []plan.PortBinding { return ct.ports }
func (ct *container) Adopted() bool             { return ct.adopted }
func (ct *container) Exited() <-chan ExitStatus { return ct.exited }

// Start starts the task; the started-at label is written off the critical path.
func (ct *container) Start(ctx context.Context) error {
	if ct.adopted {
		return nil
	}
	if err := ct.task.Start(ctx); err != nil {
		return ct.c.wrapUnavailable(fmt.Errorf("start container %s: %w", ct.ID(), err))
	}
	at := time.Now()
	go func() {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = ct.cont.SetLabels(lctx, map[string]string{plan.LabelStartedAt: logfile.FormatTS(at)})
	}()
	return nil
}
