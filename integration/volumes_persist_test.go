package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// docs/spec/runtime.md §7, §17 items 23, 25, 26: a named volume keeps data across remove and
// re-create, a new volume is copied up from the image, a host path is created and
// bind-mounted, and down --volumes removes the project's volumes.
func TestVolumesPersistAndCopyUp(t *testing.T) {
	e := newRTEnv(t)
	p := e.newRTProject(t, "vols", map[string][]string{"w": {"sleep", "3600"}})
	keep, bin, root := p.plan.Project+"_keep", p.plan.Project+"_bin", p.plan.Project+"_root"
	hostDir := filepath.Join(t.TempDir(), "missing", "data")
	spec := p.spec("w")
	spec.Volumes = []plan.VolumeBinding{
		{Kind: plan.VolumeNamed, Source: keep, Target: "/data"},
		{Kind: plan.VolumeNamed, Source: bin, Target: "/bin"},   // image content: busybox + applet links
		{Kind: plan.VolumeNamed, Source: root, Target: "/root"}, // empty image dir with mode 0700
		{Kind: plan.VolumeBind, Source: hostDir, Target: "/host"},
	}
	t.Cleanup(func() {
		if _, _, err := e.c.RemoveVolumes(e.ctx, p.plan.Project, []string{keep, bin, root}); err != nil {
			t.Errorf("remove volumes: %v", err)
		}
	})
	ctr := p.start(t, "w")

	volData := func(name string) string { return filepath.Join(e.dataRoot, "volumes", name, "_data") }
	if target, err := os.Readlink(filepath.Join(volData(bin), "sh")); err != nil || target != "busybox" {
		t.Errorf("copy-up of /bin: sh -> %q, %v", target, err)
	}
	if st, err := os.Stat(filepath.Join(volData(bin), "busybox")); err != nil || st.Mode().Perm() != 0o755 || st.Size() < 100000 {
		t.Errorf("copy-up of /bin/busybox: %v, %v", st, err)
	}
	if st, err := os.Stat(volData(root)); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("copy-up keeps the directory's own mode: %v, %v", st, err)
	}
	if st, err := os.Stat(hostDir); err != nil || !st.IsDir() || st.Mode().Perm() != 0o755 {
		t.Errorf("missing host path not created 0755: %v, %v", st, err)
	}

	if out, code := netExec(t, e, ctr.ID(), "sh", "-c", "echo kept > /data/f && echo from-container > /host/f"); code != 0 {
		t.Fatalf("write: %s", out)
	}
	if data, err := os.ReadFile(filepath.Join(hostDir, "f")); err != nil || string(data) != "from-container\n" {
		t.Errorf("bind mount: host sees %q, %v", data, err)
	}
	if _, err := e.c.Stop(e.ctx, ctr.ID(), "SIGKILL", 0); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Remove(e.ctx, ctr.ID()); err != nil {
		t.Fatal(err)
	}
	again := p.start(t, "w")
	if out, _ := netExec(t, e, again.ID(), "cat", "/data/f"); out != "kept\n" {
		t.Fatalf("after re-create /data/f = %q", out)
	}
	rec, err := os.ReadFile(filepath.Join(e.dataRoot, "volumes", keep, "volume.json"))
	if err != nil || !strings.Contains(string(rec), `"project": "`+p.plan.Project+`"`) || !strings.Contains(string(rec), `"resource": null`) {
		t.Errorf("volume record: %s, %v", rec, err)
	}

	if _, err := e.c.Stop(e.ctx, again.ID(), "SIGKILL", 0); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Remove(e.ctx, again.ID()); err != nil {
		t.Fatal(err)
	}
	removed, kept, err := e.c.RemoveVolumes(e.ctx, p.plan.Project, []string{keep, bin, root})
	if err != nil || len(removed) != 3 || len(kept) != 0 {
		t.Fatalf("RemoveVolumes: removed %v kept %v, %v", removed, kept, err)
	}
	if _, err := os.Stat(filepath.Join(e.dataRoot, "volumes", keep)); err == nil {
		t.Error("volume directory left after RemoveVolumes")
	}
	if _, err := os.Stat(filepath.Join(hostDir, "f")); err != nil {
		t.Errorf("a host path must never be removed: %v", err)
	}
	if mounts, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mounts), e.dataRoot+"/volumes/") {
		t.Error("a volume is still mounted on the host")
	}
}

// docs/spec/manifest.md §15, §29 item 45: a `..` component in a host path is refused before
// anything reaches the runtime.
func TestVolumesDotDotRefused(t *testing.T) {
	for _, m := range []string{"../outside:/outside", "./a/../b:/x"} {
		if _, err := manifest.ParseVolume(m); err == nil {
			t.Errorf("ParseVolume(%q) accepted a .. component", m)
		}
	}
	if _, err := manifest.ParseVolume("./data:/data"); err != nil {
		t.Errorf("ParseVolume(./data:/data): %v", err)
	}
}
