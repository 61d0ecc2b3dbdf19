package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	digest "github.com/opencontainers/go-digest"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// docs/spec/runtime.md §9.4, §17 item 31: OCI (plain and gzip) and docker-save archives load,
// named and normalised, unpacked and usable.
func TestRuntimeLoadArchive(t *testing.T) {
	e := newRTEnv(t)
	tests := []struct {
		format, name, want string
	}{
		{archiveOCI, "localhost/lsctl-test/load-oci:1", "localhost/lsctl-test/load-oci:1"},
		{archiveOCIGzip, "localhost/lsctl-test/load-gz:1", "localhost/lsctl-test/load-gz:1"},
		{archiveDocker, "lsctl-test/load-docker:2", "lsctl-test/load-docker:2"},
		{archiveOCI, "", "sha256:"},
	}
	for _, tc := range tests {
		t.Run(tc.format+" "+tc.want, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeBusyboxArchive(&buf, tc.format, tc.name); err != nil {
				t.Fatal(err)
			}
			names, err := e.c.LoadArchive(e.ctx, &buf)
			if err != nil {
				t.Fatal(err)
			}
			if len(names) != 1 || !strings.HasPrefix(names[0], tc.want) {
				t.Fatalf("loaded %q, want %q", names, tc.want)
			}
			full := names[0]
			if tc.name != "" {
				full = mustNormalise(t, tc.name)
			}
			cfg, err := e.c.ImageConfig(e.ctx, full)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg.Cmd, []string{"sh"}) || len(cfg.DiffIDs) != 1 {
				t.Errorf("config = %+v", cfg)
			}
			img, err := e.raw.GetImage(e.ctx, full)
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := img.IsUnpacked(e.ctx, "overlayfs"); !ok || err != nil {
				t.Errorf("not unpacked: %v", err)
			}
		})
	}
	if _, err := e.c.LoadArchive(e.ctx, strings.NewReader("not an archive")); err == nil {
		t.Error("garbage archive loaded")
	}
	// The image builder's archives: an OCI layout and a gzip `docker save`.
	for _, short := range []string{"busybox", "busybox-docker"} {
		t.Run("harness "+short, func(t *testing.T) {
			f, err := os.Open(harness.Require(t).Archive(t, short))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			names, err := e.c.LoadArchive(e.ctx, f)
			want := containerdrt.FamiliarName(harness.ImageRef(short))
			if err != nil || !slices.Equal(names, []string{want}) {
				t.Fatalf("LoadArchive = %q, %v; want [%s]", names, err, want)
			}
		})
	}
}

func mustNormalise(t *testing.T, name string) string {
	t.Helper()
	if strings.HasPrefix(name, "localhost/") {
		return name
	}
	return "docker.io/" + name
}

// docs/spec/runtime.md §9.2, §9.3: pull from a registry on 127.0.0.1 (plain HTTP fallback) with
// progress; a missing image fails clearly; --pull=never names the image.
func TestRuntimePull(t *testing.T) {
	e := newRTEnv(t)
	registry := startRegistry(t, e)
	ref := registry + "/lsctl/busybox:1"
	layerSize := pushBusybox(t, e, ref)

	var mu sync.Mutex
	var phases []string
	var last containerdrt.ProgressUpdate
	spec := &plan.ContainerSpec{ID: "x", Resource: "app", Image: ref}
	err := e.c.EnsureImage(e.ctx, spec, func(u containerdrt.ProgressUpdate) {
		mu.Lock()
		defer mu.Unlock()
		if len(phases) == 0 || phases[len(phases)-1] != string(u.Phase) {
			phases = append(phases, string(u.Phase))
		}
		last = u
	})
	if err != nil {
		t.Fatalf("EnsureImage: %v", err)
	}
	mu.Lock()
	if phases[0] != "pulling" || phases[len(phases)-1] != "pulled" || last.Total < layerSize || last.Done != last.Total {
		t.Errorf("progress phases %v, last %+v", phases, last)
	}
	mu.Unlock()
	if _, err := e.c.ImageConfig(e.ctx, ref); err != nil {
		t.Errorf("pulled image has no config: %v", err)
	}
	var present []string
	if err := e.c.EnsureImage(e.ctx, spec, func(u containerdrt.ProgressUpdate) { present = append(present, string(u.Phase)) }); err != nil || !slices.Equal(present, []string{"present"}) {
		t.Errorf("second EnsureImage phases %v, err %v; want present without pulling", present, err)
	}

	missing := &plan.ContainerSpec{Resource: "app", Image: registry + "/lsctl/nothing:1"}
	err = e.c.EnsureImage(e.ctx, missing, nil)
	if err == nil || !strings.Contains(err.Error(), "failed to pull image "+registry+"/lsctl/nothing:1") || !errors.Is(err, containerdrt.ErrNotFound) {
		t.Errorf("missing image error = %v", err)
	}
	o := rtOptions(e.dataRoot)
	o.Pull = containerdrt.PullNever
	never, err := containerdrt.Connect(e.ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer never.Close()
	err = never.EnsureImage(e.ctx, missing, nil)
	if err == nil || !strings.Contains(err.Error(), "image "+registry+"/lsctl/nothing:1 is not present and --pull=never") {
		t.Errorf("--pull=never error = %v", err)
	}
}

// startRegistry runs Debian's docker-registry on 127.0.0.1:<free port>.
func startRegistry(t *testing.T, e *rtEnv) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		rtUnavailable(t, "docker-registry not installed (integration/provision.sh install)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n",
		filepath.Join(dir, "data"), addr)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	var out bytes.Buffer // the registry logs every request: shown only on failure
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("registry output:\n%s", out.String())
		}
	})
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	if err := e.c.WaitPort(ctx, addr); err != nil {
		t.Fatalf("registry did not listen on %s: %v", addr, err)
	}
	return addr
}

// pushBusybox pushes, as ref, busybox plus a layer of 256 KiB of random bytes, then
// deletes it locally (content included) so that the pull has to download that layer.
// It returns the size of the unique layer.
func pushBusybox(t *testing.T, e *rtEnv, ref string) int64 {
	t.Helper()
	base, err := baseBusybox()
	if err != nil {
		t.Fatal(err)
	}
	unique := make([]byte, 256<<10)
	rand.Read(unique)
	img := withFileLayer(base, "unique.bin", unique)
	pushImage(t, e, ref, img)
	layer := img.layers[len(img.layers)-1]
	if _, err := e.raw.ContentStore().Info(e.ctx, digest.FromBytes(layer)); err == nil {
		t.Fatal("unique layer still in the content store: the pull would not download it")
	}
	return int64(len(layer))
}

// pushImage loads img as ref into the runtime tests' namespace, pushes it to the
// registry ref names, then deletes it there, so that only the registry holds it.
func pushImage(t *testing.T, e *rtEnv, ref string, img *busyboxImage) {
	t.Helper()
	var buf bytes.Buffer
	if err := writeArchive(&buf, img, archiveOCI, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.LoadArchive(e.ctx, &buf); err != nil {
		t.Fatal(err)
	}
	rec, err := e.raw.ImageService().Get(e.ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	resolver := docker.NewResolver(docker.ResolverOptions{
		Hosts: docker.ConfigureDefaultRegistries(docker.WithPlainHTTP(docker.MatchLocalhost)),
	})
	if err := e.raw.Push(e.ctx, ref, rec.Target, containerd.WithResolver(resolver)); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	if err := e.raw.ImageService().Delete(e.ctx, ref, images.SynchronousDelete()); err != nil {
		t.Fatal(err)
	}
}
