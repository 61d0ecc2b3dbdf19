package integration

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/snapshots"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// pullManifest is a one-container stack whose image is ref.
func pullManifest(project, ref string) string {
	return fmt.Sprintf(`project: {name: %s}
resources:
  app:
    container:
      image: %s
      command: "trap 'exit 0' TERM; while :; do sleep 1; done"
`, project, ref)
}

// proxiedRegistry is the test registry behind a registryProxy; lsctl pulls through
// the proxy.
type proxiedRegistry struct {
	e        *rtEnv // pushes from the runtime tests' namespace
	registry string
	proxy    *registryProxy
}

func newProxiedRegistry(t *testing.T) *proxiedRegistry {
	t.Helper()
	e := newRTEnv(t)
	registry := startRegistry(t, e)
	return &proxiedRegistry{e: e, registry: registry, proxy: startRegistryProxy(t, registry)}
}

// push pushes img as repo (name:tag) and returns the reference through the proxy.
func (r *proxiedRegistry) push(t *testing.T, repo string, img *busyboxImage) string {
	t.Helper()
	pushImage(t, r.e, r.registry+"/"+repo, img)
	return r.proxy.addr + "/" + repo
}

// versionImage is busybox with /version holding v.
func versionImage(t *testing.T, v string) *busyboxImage {
	t.Helper()
	base, err := baseBusybox()
	if err != nil {
		t.Fatal(err)
	}
	return withFileLayer(base, "version", []byte(v+"\n"))
}

// docs/spec/runtime.md §17 item 30, §9.2: with the image present, `--pull missing` contacts no
// registry and keeps the container; `--pull always` asks the registry again and, the tag
// now naming a changed image, recreates the container from it.
func TestCLIPullMissingAndAlways(t *testing.T) {
	env := harness.Require(t)
	const project = "clipull"
	reg := newProxiedRegistry(t)
	proxy := reg.proxy
	dir := cliWriteManifest(t, pullManifest(project, reg.push(t, "lsctl/pull:1", versionImage(t, "one"))))
	upWith := func(pull string) string {
		t.Helper()
		code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", pull)
		if code != 0 {
			t.Fatalf("up -d --pull %s: exit %d\n%s%s", pull, code, out, errOut)
		}
		return out
	}
	version := func() string {
		t.Helper()
		code, out, errOut := cliRun(t, env, dir, "exec", "-T", "app", "--", "cat", "/version")
		if code != 0 {
			t.Fatalf("exec cat /version: exit %d\n%s%s", code, out, errOut)
		}
		return strings.TrimSpace(out)
	}
	out := upWith("missing")
	t.Cleanup(func() { cliRun(t, env, dir, "down", "--volumes") })
	if proxy.manifests.Load() == 0 || !strings.Contains(out, "app: pulled ") || version() != "one" {
		t.Fatalf("first up -d did not pull the absent image (%d manifest requests):\n%s", proxy.manifests.Load(), out)
	}
	reg.push(t, "lsctl/pull:1", versionImage(t, "two")) // the same tag, another image

	before := proxy.requests.Load()
	out = upWith("missing")
	if n := proxy.requests.Load() - before; n != 0 || strings.Contains(out, "pulling") {
		t.Errorf("up --pull missing with the image present sent %d requests to the registry:\n%s", n, out)
	}
	if v := version(); v != "one" {
		t.Errorf("after up --pull missing /version = %q, want the present image's one", v)
	}

	before = proxy.manifests.Load()
	out = upWith("always")
	if n := proxy.manifests.Load() - before; n == 0 || !strings.Contains(out, "app: pulled ") {
		t.Errorf("up --pull always did not ask the registry (%d manifest requests):\n%s", n, out)
	}
	if v := version(); v != "two" {
		t.Errorf("after up --pull always /version = %q, want two: the container was not recreated from the new image", v)
	}
}

// docs/spec/runtime.md §17 item 41, §12.8: Ctrl-C while a real pull is downloading (from a
// registry on 127.0.0.1 slowed down by the proxy) cancels it: exit 130, and nothing of the
// project is left: no container, snapshot, lease, content ingest or lsctl process.
func TestCLISigintDuringPull(t *testing.T) {
	env := harness.Require(t)
	const project = "clipullint"
	reg := newProxiedRegistry(t)
	proxy := reg.proxy
	base, err := baseBusybox()
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 1<<20)
	rand.Read(big)
	ref := reg.push(t, "lsctl/slow:1", withFileLayer(base, "big.bin", big))
	proxy.trickle.Store(true)
	dir := cliWriteManifest(t, pullManifest(project, ref))
	up := startFgUp(t, env, dir, true, "--grace", "5s")
	select {
	case <-proxy.blobRequested:
	case <-up.exited:
		t.Fatalf("up exited before the pull downloaded anything:\n%s", up.output())
	case <-time.After(2 * time.Minute):
		t.Fatalf("the pull requested no blob within 2 minutes:\n%s", up.output())
	}
	up.interrupt()
	if code := up.exitCode(time.Minute); code != 130 {
		t.Errorf("up exit %d, want 130; output:\n%s", code, up.output())
	}
	if out := up.output(); !strings.Contains(out, "pulling "+proxy.addr) || strings.Contains(out, "pulled ") {
		t.Errorf("the pull was not under way when Ctrl-C came, or it completed:\n%s", out)
	}
	assertProjectGone(t, env, project)
	assertNoPullLeft(t, env)
}

// assertNoPullLeft checks that the test's namespace holds no lease, content ingest,
// snapshot or image, and that no lsctl process of the test's data root runs.
func assertNoPullLeft(t *testing.T, env *harness.Env) {
	t.Helper()
	c, ctx := ctrClient(t, env)
	if ls, err := c.LeasesService().List(ctx); err != nil || len(ls) != 0 {
		t.Errorf("leases left: %v (%v)", ls, err)
	}
	if st, err := c.ContentStore().ListStatuses(ctx); err != nil || len(st) != 0 {
		t.Errorf("content ingests left: %v (%v)", st, err)
	}
	var snaps []string
	err := c.SnapshotService("overlayfs").Walk(ctx, func(_ context.Context, i snapshots.Info) error {
		snaps = append(snaps, i.Name)
		return nil
	})
	if err != nil || len(snaps) != 0 {
		t.Errorf("snapshots left: %v (%v)", snaps, err)
	}
	if imgs, err := c.ImageService().List(ctx); err != nil || len(imgs) != 0 {
		t.Errorf("images left: %v (%v)", imgs, err)
	}
	if procs := processesWithEnv("LSCTL_DATA_ROOT=" + env.DataRoot); len(procs) > 0 {
		t.Errorf("lsctl processes left: %v", procs)
	}
}

// processesWithEnv lists the host processes whose environment holds the entry kv.
func processesWithEnv(kv string) []string {
	var found []string
	environs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, p := range environs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, entry := range strings.Split(string(data), "\x00") {
			if entry == kv {
				found = append(found, filepath.Dir(p))
				break
			}
		}
	}
	return found
}

// docs/spec/runtime.md §12.2 step 3, §17 item 112 (issue 16 item 2): image acquisition begins as
// soon as containerd answers, in parallel with the preflight steps: while the port
// preflight waits for the data-root lock (held here by the test), the pull is already
// asking the registry; once the lock is free, the startup completes with the image.
func TestCLIPullBeginsDuringPreflight(t *testing.T) {
	env := harness.Require(t)
	const project = "clipullearly"
	reg := newProxiedRegistry(t)
	dir := cliWriteManifest(t, pullManifest(project, reg.push(t, "lsctl/early:1", versionImage(t, "early"))))
	lock := holdDataRootLock(t, env.DataRoot)
	up := startFgUp(t, env, dir, true, "--pull", "missing")
	waitForCLI(t, func() bool { return reg.proxy.manifests.Load() > 0 })
	if out := up.output(); strings.Contains(out, "starting 1 resource") {
		t.Fatalf("up passed the preflight while the data-root lock was held:\n%s", out)
	}
	lock.Close()
	up.await("pulled "+reg.proxy.addr, time.Minute)
	up.await("["+project+"] ready: ", time.Minute)
	up.interrupt()
	if code := up.exitCode(time.Minute); code != 130 {
		t.Errorf("up exit %d, want 130:\n%s", code, up.output())
	}
}

// holdDataRootLock takes the data-root lock that up's port preflight waits for, until
// the returned file is closed.
func holdDataRootLock(t *testing.T, dataRoot string) *os.File {
	t.Helper()
	if err := os.MkdirAll(dataRoot, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dataRoot, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
