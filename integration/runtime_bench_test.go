package integration

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/containerd/v2/pkg/oci"
	"github.com/containernetworking/cni/libcni"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// BenchmarkContainerLifecycle measures create + start + stop + remove of one busybox
// container through containerdrt and, alternating in the same run, through the bare
// containerd client doing the same work (pinned netns, CNI ADD/DEL on the same
// network, the same binary log driver): the floor. It reports both as lsctl-ns/op and
// floor-ns/op, and the overhead in percent (target ≤ 10 %).
func BenchmarkContainerLifecycle(b *testing.B) {
	e := newRTEnv(b)
	p := e.newRTProject(b, "rtbench", map[string][]string{"app": {"sleep", "3600"}})
	fl := newFloor(b, e, p)
	var lsctl, floor time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		e.lifecycle(b, p)
		lsctl += time.Since(start)
		start = time.Now()
		fl.lifecycle(b, i)
		floor += time.Since(start)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(lsctl.Nanoseconds())/n, "lsctl-ns/op")
	b.ReportMetric(float64(floor.Nanoseconds())/n, "floor-ns/op")
	b.ReportMetric(100*(float64(lsctl)/float64(floor)-1), "overhead-%")
}

// lifecycle is one create + start + stop + remove through containerdrt.
func (e *rtEnv) lifecycle(b *testing.B, p *rtProject) {
	ctr, err := e.c.Prepare(e.ctx, p.spec("app"))
	if err != nil {
		b.Fatal(err)
	}
	if err := ctr.Start(e.ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := e.c.Stop(e.ctx, ctr.ID(), "", 10*time.Second); err != nil {
		b.Fatal(err)
	}
	if err := e.c.Remove(e.ctx, ctr.ID()); err != nil {
		b.Fatal(err)
	}
}

// floor is the bare-client equivalent of a containerdrt lifecycle.
type floor struct {
	e       *rtEnv
	img     client.Image
	cni     *libcni.CNIConfig
	list    *libcni.NetworkConfigList
	ip      string
	logURI  *url.URL
	netnsIn string
}

func newFloor(b *testing.B, e *rtEnv, p *rtProject) *floor {
	img, err := e.raw.GetImage(e.ctx, rtBusybox)
	if err != nil {
		b.Fatal(err)
	}
	list, err := libcni.ConfListFromFile(filepath.Join(e.dataRoot, "cni", p.plan.Network.Name+".conflist"))
	if err != nil {
		b.Fatalf("floor needs the project's conflist: %v", err)
	}
	cniPath := os.Getenv("CNI_PATH")
	if cniPath == "" {
		cniPath = "/usr/lib/cni"
	}
	dir := b.TempDir()
	logPath := filepath.Join(dir, "floor.log")
	return &floor{
		e: e, img: img, list: list,
		cni:     libcni.NewCNIConfigWithCacheDir([]string{cniPath}, filepath.Join(dir, "cni-cache"), nil),
		ip:      floorAddr(p),
		logURI:  &url.URL{Scheme: "binary", Path: rtDriver, RawQuery: "__log-driver=" + url.QueryEscape(logPath)},
		netnsIn: filepath.Join("/run/lsctl-bench", rtNamespace),
	}
}

func (f *floor) lifecycle(b *testing.B, i int) {
	ctx := f.e.ctx
	id := fmt.Sprintf("floor-%d", i)
	nsPath := filepath.Join(f.netnsIn, id)
	if err := newPinnedNetns(nsPath); err != nil {
		b.Fatal(err)
	}
	rt := &libcni.RuntimeConf{
		ContainerID: id, NetNS: nsPath, IfName: "eth0",
		Args:           [][2]string{{"IgnoreUnknown", "1"}},
		CapabilityArgs: map[string]any{"ips": []string{f.ip + "/24"}},
	}
	if _, err := f.cni.AddNetworkList(ctx, f.list, rt); err != nil {
		b.Fatal(err)
	}
	cont, err := f.e.raw.NewContainer(ctx, id,
		client.WithImage(f.img), client.WithSnapshotter("overlayfs"), client.WithNewSnapshot(id, f.img),
		client.WithRuntime("io.containerd.runc.v2", nil),
		client.WithNewSpec(oci.WithImageConfig(f.img), oci.WithProcessArgs("sleep", "3600"),
			oci.WithHostname("app"),
			oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: nsPath})))
	if err != nil {
		b.Fatal(err)
	}
	task, err := cont.NewTask(ctx, cio.LogURI(f.logURI))
	if err != nil {
		b.Fatal(err)
	}
	exited, err := task.Wait(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := task.Start(ctx); err != nil {
		b.Fatal(err)
	}
	if err := task.Kill(ctx, syscall.SIGKILL); err != nil {
		b.Fatal(err)
	}
	<-exited
	if _, err := task.Delete(ctx); err != nil {
		b.Fatal(err)
	}
	if err := f.cni.DelNetworkList(context.WithoutCancel(ctx), f.list, rt); err != nil {
		b.Fatal(err)
	}
	if err := unix.Unmount(nsPath, unix.MNT_DETACH); err != nil {
		b.Fatal(err)
	}
	if err := os.Remove(nsPath); err != nil {
		b.Fatal(err)
	}
	if err := cont.Delete(ctx, client.WithSnapshotCleanup); err != nil {
		b.Fatal(err)
	}
}

// floorAddr is an address of the project subnet that no resource uses (.250).
func floorAddr(p *rtProject) string {
	a := p.plan.Network.Subnet.Addr().As4()
	a[3] = 250
	return netip.AddrFrom4(a).String()
}

// newPinnedNetns creates a network namespace and bind-mounts it at path, as lsctl's
// own setup does, on a thread that is then discarded.
func newPinnedNetns(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, nil, 0o444); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		errc <- unix.Mount(src, path, "", unix.MS_BIND, "")
	}()
	return <-errc
}
