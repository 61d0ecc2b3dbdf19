package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// rtNamespace is the containerd namespace of the runtime tests, apart from the CLI's.
const rtNamespace = "lsctl-it-runtime"

// rtBusybox is the test busybox image, loaded from an archive built by the tests.
const rtBusybox = "localhost/lsctl-test/busybox:latest"

// rtAddress is the private test containerd (integration/provision.sh start).
func rtAddress() string {
	if a := os.Getenv("LSCTL_TEST_CONTAINERD_ADDRESS"); a != "" {
		return a
	}
	return "/run/lsctl-test/containerd.sock"
}

// rtMustRun reports whether integration tests must run: then an unavailable
// prerequisite is a failure, never a skip.
func rtMustRun() bool {
	return os.Getenv("LSCTL_INTEGRATION") == "1" || os.Getenv("CI") != ""
}

// rtUnavailable skips, or fails when the tests must run.
func rtUnavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if rtMustRun() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (set LSCTL_INTEGRATION=1 to make this a failure)", args...)
}

// rtEnv is a connected runtime with its own data root.
type rtEnv struct {
	c        *containerdrt.Client
	raw      *containerd.Client // the bare client, for checks and the benchmark floor
	dataRoot string
	ctx      context.Context
}

var (
	rtSetupOnce sync.Once
	rtSetupErr  error
	rtDriver    string // log driver executable
)

// rtParent holds the runtime tests' data roots and driver, on the host's disk like the
// harness's: overlay and bind mounts below a tmpfs behave differently.
func rtParent() string {
	const parent = "/var/lib/lsctl-test"
	if os.MkdirAll(parent, 0o755) != nil {
		return os.TempDir()
	}
	return parent
}

// newRTEnv connects to the test containerd with a fresh data root (removed after the
// test), the busybox image loaded and a log driver built.
func newRTEnv(t testing.TB) *rtEnv {
	t.Helper()
	ctx := context.Background()
	rtSetupOnce.Do(func() { rtDriver, rtSetupErr = rtBuildLogDriver(filepath.Join(rtParent(), "rt-bin")) })
	if rtSetupErr != nil {
		t.Fatalf("integration setup: %v", rtSetupErr)
	}
	dataRoot, err := os.MkdirTemp(rtParent(), "rt-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataRoot) }) // registered first: runs after the projects' cleanup
	c, err := containerdrt.Connect(ctx, rtOptions(dataRoot))
	if err != nil {
		rtUnavailable(t, "%v", err)
	}
	t.Cleanup(func() { c.Close() })
	raw, err := containerd.New(rtAddress(), containerd.WithDefaultNamespace(rtNamespace))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	rtLoadBusybox(t, c)
	return &rtEnv{c: c, raw: raw, dataRoot: dataRoot, ctx: ctx}
}

// rtOptions are the runtime options of the tests for a data root.
func rtOptions(dataRoot string) containerdrt.Options {
	return containerdrt.Options{
		Address:    rtAddress(),
		Namespace:  rtNamespace,
		DataRoot:   dataRoot,
		LogDriver:  rtDriver,
		SubnetPool: "10.215.0.0/18", // apart from the harness pools (10.214.0.0/16)
		Pull:       containerdrt.PullMissing,
	}
}

// rtBuildLogDriver builds the dedicated log driver, lsctl-log-driver, that the shim
// runs for every container (LSCTL_LOG_DRIVER names another one instead).
func rtBuildLogDriver(dir string) (string, error) {
	if p := os.Getenv("LSCTL_LOG_DRIVER"); p != "" {
		return p, nil
	}
	// One fixed path, rebuilt (from the build cache) by every test process, so that no
	// binary is left behind per run.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(dir, containerdrt.LogDriverName)
	if err := rtGoBuild(out, "../containerdrt/logdriver/"+containerdrt.LogDriverName); err != nil {
		return "", fmt.Errorf("build log driver: %w", err)
	}
	return out, nil
}

func rtGoBuild(out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %v: %s", pkg, err, stderr.String())
	}
	return nil
}

var rtBusyboxMu sync.Mutex

// rtLoadBusybox loads the busybox test image unless present.
func rtLoadBusybox(t testing.TB, c *containerdrt.Client) {
	t.Helper()
	rtBusyboxMu.Lock()
	defer rtBusyboxMu.Unlock()
	if _, err := c.ImageConfig(context.Background(), rtBusybox); err == nil {
		return
	}
	var buf bytes.Buffer
	if err := writeBusyboxArchive(&buf, archiveOCI, rtBusybox); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LoadArchive(context.Background(), &buf); err != nil {
		t.Fatalf("load busybox: %v", err)
	}
}

// rtProject is a test project with its network; its containers and network are
// removed at cleanup.
type rtProject struct {
	env  *rtEnv
	plan *plan.Plan
}

// newRTProject makes a plan with one busybox container per command and ensures its
// network. Project names are unique per process so that parallel runs do not meet.
func (e *rtEnv) newRTProject(t testing.TB, name string, commands map[string][]string) *rtProject {
	t.Helper()
	project := fmt.Sprintf("%s%d", name, os.Getpid()%100000)
	p := &plan.Plan{Project: project}
	p.Network = plan.NetworkSpec{Project: project, Name: plan.NetworkName(project)}
	p.Network.Bridge = plan.BridgeName(p.Network.Name)
	for _, res := range sortedNames(commands) {
		n := &plan.Node{Name: res, Kind: manifest.KindContainer, Index: len(p.Nodes)}
		n.Spec = rtSpec(e.dataRoot, project, res, commands[res])
		p.Nodes = append(p.Nodes, n)
		p.Order = append(p.Order, res)
	}
	if err := e.c.EnsureNetwork(e.ctx, p); err != nil {
		t.Fatalf("EnsureNetwork: %v", err)
	}
	rp := &rtProject{env: e, plan: p}
	t.Cleanup(func() { rp.cleanup(t) })
	return rp
}

func rtSpec(dataRoot, project, res string, command []string) plan.ContainerSpec {
	dir := plan.ProjectDir(dataRoot, project)
	return plan.ContainerSpec{
		ID: plan.ContainerID(project, res), Project: project, Resource: res,
		Kind: manifest.KindContainer, Image: rtBusybox, Command: command, Hostname: res,
		HostsPath:      filepath.Join(dir, "hosts"),
		ResolvConfPath: filepath.Join(dir, "resolv.conf"),
		HostnamePath:   filepath.Join(dir, "hostname", res),
		LogPath:        filepath.Join(dir, "logs", res+".log"),
		Labels: map[string]string{
			plan.LabelProject: project, plan.LabelResource: res, plan.LabelKind: "container",
		},
	}
}

func sortedNames(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// spec returns the resource's container spec.
func (p *rtProject) spec(res string) *plan.ContainerSpec {
	for _, n := range p.plan.Nodes {
		if n.Name == res {
			return &n.Spec
		}
	}
	panic("no resource " + res)
}

// start prepares and starts a resource.
func (p *rtProject) start(t testing.TB, res string) containerdrt.Container {
	t.Helper()
	ctr, err := p.env.c.Prepare(p.env.ctx, p.spec(res))
	if err != nil {
		t.Fatalf("Prepare %s: %v", res, err)
	}
	if err := ctr.Start(p.env.ctx); err != nil {
		t.Fatalf("Start %s: %v", res, err)
	}
	return ctr
}

func (p *rtProject) cleanup(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	for _, n := range p.plan.Nodes {
		if _, err := p.env.c.Stop(ctx, n.Spec.ID, "SIGKILL", 0); err != nil {
			errs = append(errs, err)
		}
		if err := p.env.c.Remove(ctx, n.Spec.ID); err != nil {
			errs = append(errs, err)
		}
	}
	if err := p.env.c.TeardownNetwork(ctx, p.plan.Project); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		t.Errorf("cleanup of project %s: %v", p.plan.Project, err)
	}
}

// waitExit waits for a container's exit.
func waitExit(t testing.TB, ctr containerdrt.Container, within time.Duration) containerdrt.ExitStatus {
	t.Helper()
	select {
	case st, ok := <-ctr.Exited():
		if !ok {
			t.Fatal("Exited closed without a status")
		}
		return st
	case <-time.After(within):
		t.Fatalf("container %s did not exit within %s", ctr.ID(), within)
	}
	return containerdrt.ExitStatus{}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
