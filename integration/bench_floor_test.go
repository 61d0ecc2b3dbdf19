package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/contrib/seccomp"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/oci"
	"github.com/containernetworking/cni/libcni"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// floorProbeEvery is the floor's probe spacing from task start (docs/spec/runtime.md §19).
const floorProbeEvery = 20 * time.Millisecond

// stackFloor starts a benchmark stack with the bare containerd client doing the work
// lsctl does (docs/spec/runtime.md §19 "Floor"): pinned netns, CNI ADD on a network of the same
// kind (bridge, static IPAM, portmap), container and snapshot, task with the
// binary log driver, all prepared in parallel; then each task started once its
// dependencies' probes passed, and probed by exec every 20 ms until it passes.
type stackFloor struct {
	ctx     context.Context
	raw     *containerd.Client
	img     containerd.Image
	cni     *libcni.CNIConfig
	list    *libcni.NetworkConfigList
	bridge  string
	subnet  netip.Prefix
	netns   string // directory of the pinned namespaces
	logs    string // directory of the log files
	driver  string // the lsctl binary, as log driver
	probe   []string
	project string
}

// newStackFloor connects the bare client to env's namespace (busybox already loaded)
// and writes the floor's own conflist: the last /24 of env's pool, which lsctl, taking
// the lowest free block, does not use.
func newStackFloor(b *testing.B, env *harness.Env, project string) *stackFloor {
	b.Helper()
	raw, err := containerd.New(env.Address, containerd.WithDefaultNamespace(env.Namespace))
	if err != nil {
		b.Fatalf("floor: connect to %s: %v", env.Address, err)
	}
	b.Cleanup(func() { raw.Close() })
	ctx := namespaces.WithNamespace(context.Background(), env.Namespace)
	img, err := raw.GetImage(ctx, harness.ImageRef("busybox"))
	if err != nil {
		b.Fatalf("floor: busybox image: %v", err)
	}
	pool := netip.MustParsePrefix(env.SubnetPool)
	a := pool.Addr().As4()
	a[2] += 3
	dir := b.TempDir()
	f := &stackFloor{
		ctx: ctx, raw: raw, img: img, subnet: netip.PrefixFrom(netip.AddrFrom4(a), 24),
		bridge:  fmt.Sprintf("lsbf%d", os.Getpid()%10000000),
		netns:   filepath.Join("/run/lsctl-bench", env.Namespace),
		logs:    filepath.Join(dir, "logs"),
		driver:  harness.Binary(b),
		probe:   benchProbe(),
		project: project,
	}
	f.list, err = libcni.ConfListFromBytes(floorConflist(project, f.bridge))
	if err != nil {
		b.Fatalf("floor: conflist: %v", err)
	}
	f.cni = libcni.NewCNIConfigWithCacheDir([]string{env.CNIPath}, filepath.Join(dir, "cni-cache"), nil)
	b.Cleanup(func() { _ = os.RemoveAll(f.netns); _ = f.deleteBridge() })
	return f
}

// floorConflist is the plugin chain lsctl attaches a container without published
// ports with (docs/spec/runtime.md §5.1): the project network's list less portmap, whose ADD
// and DEL do nothing without mappings; the benchmark containers publish no port. The
// network's forwarding and masquerade rules are lsctl's, set once per network when it
// is ensured rather than by a plugin per container; the floor's containers need none.
func floorConflist(name, bridge string) []byte {
	type obj = map[string]any
	conf, _ := json.Marshal(obj{
		"cniVersion": "1.0.0", "name": name,
		"plugins": []obj{
			{"type": "bridge", "bridge": bridge, "isGateway": true, "isDefaultGateway": true,
				"hairpinMode": true, "ipam": obj{"type": "static"},
				"capabilities": obj{"ips": true}},
		},
	})
	return conf
}

// floorCtr is one floor container and what its teardown needs.
type floorCtr struct {
	rt     *libcni.RuntimeConf
	cont   containerd.Container
	task   containerd.Task
	exited <-chan containerd.ExitStatus
}

// floorRun is one started floor stack with its phase times.
type floorRun struct {
	stack    benchStack
	ctrs     map[string]*floorCtr
	mu       sync.Mutex
	prepared time.Duration // all containers prepared (tasks created)
	probes   []time.Duration
}

func (r *floorRun) set(res string, c *floorCtr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ctrs[res] = c
}

func (r *floorRun) get(res string) *floorCtr {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ctrs[res]
}

// up prepares every container in parallel, then starts them in dependency order. The
// returned run must be passed to down even when up failed, to remove what exists.
func (f *stackFloor) up(st benchStack, run int) (*floorRun, error) {
	r := &floorRun{stack: st, ctrs: map[string]*floorCtr{}}
	start := time.Now()
	if err := runGated(st.order, nil, func(res string) error { return f.prepare(r, res, run) }); err != nil {
		return r, err
	}
	r.prepared = time.Since(start)
	return r, runGated(st.order, st.deps, func(res string) error { return f.start(r, res) })
}

// prepare is lsctl's Prepare for one container: netns, CNI ADD, container, task.
func (f *stackFloor) prepare(r *floorRun, res string, run int) error {
	id := fmt.Sprintf("floor-%s-%d-%s", r.stack.name, run, res)
	ip := f.subnet.Addr().As4()
	ip[3] = byte(2 + indexOf(r.stack.order, res))
	nsPath := filepath.Join(f.netns, id)
	if err := newPinnedNetns(nsPath); err != nil {
		return fmt.Errorf("floor %s: netns: %w", id, err)
	}
	c := &floorCtr{rt: &libcni.RuntimeConf{
		ContainerID: id, NetNS: nsPath, IfName: "eth0",
		Args:           [][2]string{{"IgnoreUnknown", "1"}},
		CapabilityArgs: map[string]any{"ips": []string{netip.AddrFrom4(ip).String() + "/24"}},
	}}
	r.set(res, c)
	if _, err := f.cni.AddNetworkList(f.ctx, f.list, c.rt); err != nil {
		return fmt.Errorf("floor %s: CNI ADD: %w", id, err)
	}
	cont, err := f.raw.NewContainer(f.ctx, id,
		containerd.WithImage(f.img), containerd.WithSnapshotter("overlayfs"),
		containerd.WithNewSnapshot(id, f.img), containerd.WithRuntime("io.containerd.runc.v2", nil),
		containerd.WithNewSpec(floorSpec(f.img, res, nsPath)...))
	if err != nil {
		return fmt.Errorf("floor %s: create container: %w", id, err)
	}
	c.cont = cont
	logURI := &url.URL{Scheme: "binary", Path: f.driver,
		RawQuery: "__log-driver=" + url.QueryEscape(filepath.Join(f.logs, id+".log"))}
	if c.task, err = cont.NewTask(f.ctx, cio.LogURI(logURI)); err != nil {
		return fmt.Errorf("floor %s: create task: %w", id, err)
	}
	if c.exited, err = c.task.Wait(context.WithoutCancel(f.ctx)); err != nil {
		return fmt.Errorf("floor %s: wait: %w", id, err)
	}
	return nil
}

// floorSpec is the OCI spec of a floor container: the same container as lsctl's
// (docs/spec/runtime.md §3.1), in what costs the runtime work: Docker's default seccomp profile,
// which runc compiles at every create and exec, and the network sysctls.
func floorSpec(img containerd.Image, hostname, netns string) []oci.SpecOpts {
	return []oci.SpecOpts{
		oci.WithImageConfig(img), oci.WithProcessArgs(benchCommand...), oci.WithHostname(hostname),
		oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: netns}),
		func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
			s.Linux.Sysctl = map[string]string{
				"net.ipv4.ip_unprivileged_port_start": "0",
				"net.ipv4.ping_group_range":           "0 2147483647",
			}
			return nil
		},
		seccomp.WithDefaultProfile(),
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// start starts the task and probes it every 20 ms from task start until a probe passes.
func (f *stackFloor) start(r *floorRun, res string) error {
	c := r.get(res)
	if err := c.task.Start(f.ctx); err != nil {
		return fmt.Errorf("floor %s: start: %w", c.rt.ContainerID, err)
	}
	started := time.Now()
	spec, err := c.cont.Spec(f.ctx)
	if err != nil {
		return fmt.Errorf("floor %s: spec: %w", c.rt.ContainerID, err)
	}
	pspec := *spec.Process
	pspec.Args = f.probe
	deadline := started.Add(30 * time.Second)
	for n := 0; time.Now().Before(deadline); n++ {
		next := started.Add(time.Duration(n+1) * floorProbeEvery)
		code, err := bareExec(f.ctx, c.task, fmt.Sprintf("probe-%d", n), &pspec)
		if err != nil {
			return fmt.Errorf("floor %s: probe: %w", c.rt.ContainerID, err)
		}
		if code == 0 {
			r.mu.Lock()
			r.probes = append(r.probes, time.Since(started))
			r.mu.Unlock()
			return nil
		}
		time.Sleep(time.Until(next)) // the probe schedule itself, not a wait for an event
	}
	return fmt.Errorf("floor %s: probe %v did not pass within 30s", c.rt.ContainerID, f.probe)
}

// down stops the stack in reverse dependency order as lsctl does (SIGTERM, which the
// benchmark's PID 1 catches; SIGKILL after 10 s), and removes task, CNI state, netns,
// container and snapshot, then the bridge. It removes whatever exists of a failed up.
func (f *stackFloor) down(r *floorRun) error {
	var mu sync.Mutex
	var errs []error
	_ = runGated(r.stack.order, r.stack.dependents(), func(res string) error {
		if c := r.get(res); c != nil {
			if err := f.remove(c); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}
		return nil // a failed removal must not keep its dependencies running
	})
	return errors.Join(append(errs, f.deleteBridge())...)
}

// remove stops and deletes one floor container; missing parts are fine.
func (f *stackFloor) remove(c *floorCtr) error {
	ctx := context.WithoutCancel(f.ctx)
	var errs []error
	if c.task != nil {
		if err := c.task.Kill(ctx, syscall.SIGTERM); err == nil && c.exited != nil {
			select {
			case <-c.exited:
			case <-time.After(10 * time.Second):
				_ = c.task.Kill(ctx, syscall.SIGKILL)
				<-c.exited
			}
		}
		if _, err := c.task.Delete(ctx, containerd.WithProcessKill); err != nil {
			errs = append(errs, fmt.Errorf("delete task %s: %w", c.rt.ContainerID, err))
		}
	}
	if err := f.cni.DelNetworkList(ctx, f.list, c.rt); err != nil {
		errs = append(errs, fmt.Errorf("CNI DEL %s: %w", c.rt.ContainerID, err))
	}
	if err := unix.Unmount(c.rt.NetNS, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EINVAL) {
		errs = append(errs, fmt.Errorf("unmount %s: %w", c.rt.NetNS, err))
	}
	_ = os.Remove(c.rt.NetNS)
	if c.cont != nil {
		if err := c.cont.Delete(ctx, containerd.WithSnapshotCleanup); err != nil {
			errs = append(errs, fmt.Errorf("delete container %s: %w", c.rt.ContainerID, err))
		}
	}
	return errors.Join(errs...)
}

// deleteBridge removes the floor's bridge as lsctl's network teardown removes its own,
// so every floor run creates it again at its first CNI ADD, as every lsctl up does.
func (f *stackFloor) deleteBridge() error {
	if _, err := os.Stat(filepath.Join("/sys/class/net", f.bridge)); err != nil {
		return nil
	}
	if out, err := exec.Command("ip", "link", "delete", f.bridge).CombinedOutput(); err != nil {
		return fmt.Errorf("delete bridge %s: %v: %s", f.bridge, err, out)
	}
	return nil
}
