package containerdrt

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

func volumeSpec(project, resource string, vols ...plan.VolumeBinding) *plan.ContainerSpec {
	return &plan.ContainerSpec{ID: plan.ContainerID(project, resource), Project: project, Resource: resource, Volumes: vols}
}

// docs/spec/runtime.md §7.1: default volumes refuse another owner; named volumes are shared.
func TestVolumeOwnership(t *testing.T) {
	c := &Client{opts: Options{DataRoot: t.TempDir()}}
	ctx := context.Background()
	def := plan.VolumeBinding{Kind: plan.VolumeNamed, Source: "shop_db_data", Target: "/data", DefaultFor: "db"}
	if _, err := c.volumeMounts(ctx, volumeSpec("shop", "db", def), plan.ImageConfig{}, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		project string
		res     string
		vol     plan.VolumeBinding
		want    string // "" = accepted
	}{
		{"same owner again", "shop", "db", def, ""},
		{"other project's default volume", "other", "db", def,
			`volume "shop_db_data" belongs to project "shop" resource "db"`},
		{"other resource", "shop", "cache", plan.VolumeBinding{Kind: plan.VolumeNamed, Source: "shop_db_data", Target: "/data", DefaultFor: "cache"},
			`volume "shop_db_data" belongs to project "shop" resource "db"`},
		{"explicitly named volume is shared", "other", "api", plan.VolumeBinding{Kind: plan.VolumeNamed, Source: "shop_db_data", Target: "/x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.volumeMounts(ctx, volumeSpec(tt.project, tt.res, tt.vol), plan.ImageConfig{}, nil)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tt.want || !errors.Is(err, ErrNotOwned) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	rec, err := readVolumeRecord(c.volumeDir("shop_db_data"))
	if err != nil || rec.Project != "shop" || rec.Resource == nil || *rec.Resource != "db" || rec.Name != "shop_db_data" || rec.CreatedAt == "" {
		t.Fatalf("record %+v, %v", rec, err)
	}
}

// docs/spec/runtime.md §3.1, §7: mount list, PGDATA target, host path creation, ro files.
func TestVolumeMounts(t *testing.T) {
	root := t.TempDir()
	c := &Client{opts: Options{DataRoot: filepath.Join(root, "data")}}
	host := filepath.Join(root, "proj", "data")
	s := volumeSpec("shop", "db",
		plan.VolumeBinding{Kind: plan.VolumeNamed, Source: "shop_db_data", Target: "/var/lib/postgresql/data", TargetFromImageEnv: "PGDATA", DefaultFor: "db"},
		plan.VolumeBinding{Kind: plan.VolumeBind, Source: host, Target: "/data"},
		plan.VolumeBinding{Kind: plan.VolumeBind, Source: host, Target: "/conf", ReadOnly: true},
		plan.VolumeBinding{Kind: plan.VolumeNamed, Source: "shared", Target: "/shared", ReadOnly: true},
	)
	s.HostsPath, s.ResolvConfPath, s.HostnamePath = "/h/hosts", "/h/resolv.conf", "/h/hostname/db"
	img := plan.ImageConfig{Env: []string{"PATH=/bin", "PGDATA=/pg/data/"}}
	mounts, err := c.volumeMounts(context.Background(), s, img, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ dst, src, mode string }{
		{"/pg/data", filepath.Join(c.opts.DataRoot, "volumes", "shop_db_data", "_data"), "rw"},
		{"/data", host, "rw"},
		{"/conf", host, "ro"}, // issue 12 item 7: the :ro mode suffix
		{"/shared", filepath.Join(c.opts.DataRoot, "volumes", "shared", "_data"), "ro"},
		{"/etc/hosts", "/h/hosts", "ro"},
		{"/etc/resolv.conf", "/h/resolv.conf", "ro"},
		{"/etc/hostname", "/h/hostname/db", "ro"},
	}
	if len(mounts) != len(want) {
		t.Fatalf("mounts %+v", mounts)
	}
	for i, w := range want {
		m := mounts[i]
		if m.Destination != w.dst || m.Source != w.src || m.Type != "bind" || len(m.Options) != 3 ||
			m.Options[0] != "rbind" || m.Options[1] != w.mode || m.Options[2] != "rprivate" {
			t.Errorf("mount %d = %+v, want %s -> %s %s", i, m, w.src, w.dst, w.mode)
		}
	}
	st, err := os.Stat(host)
	if err != nil || !st.IsDir() || st.Mode().Perm() != 0o755 {
		t.Fatalf("host path not created 0755: %v %v", st, err)
	}
}

func TestVolumeTarget(t *testing.T) {
	v := plan.VolumeBinding{Target: "/var/lib/postgresql/data", TargetFromImageEnv: "PGDATA"}
	tests := []struct {
		env  []string
		want string
	}{
		{nil, "/var/lib/postgresql/data"},
		{[]string{"PGDATA="}, "/var/lib/postgresql/data"},
		{[]string{"PGDATA=relative"}, "/var/lib/postgresql/data"},
		{[]string{"PGDATA=/a", "PGDATA=/b"}, "/b"},
		{[]string{"PGDATAX=/a"}, "/var/lib/postgresql/data"},
	}
	for _, tt := range tests {
		if got := volumeTarget(v, tt.env); got != tt.want {
			t.Errorf("env %v: %q, want %q", tt.env, got, tt.want)
		}
	}
}

// docs/spec/runtime.md §7.2: down --volumes removes only volumes created by the project.
func TestRemoveVolumes(t *testing.T) {
	c := &Client{opts: Options{DataRoot: t.TempDir()}}
	ctx := context.Background()
	for _, v := range []struct{ project, name string }{{"shop", "mine"}, {"other", "theirs"}} {
		s := volumeSpec(v.project, "x", plan.VolumeBinding{Kind: plan.VolumeNamed, Source: v.name, Target: "/d"})
		if _, err := c.volumeMounts(ctx, s, plan.ImageConfig{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	removed, kept, err := c.RemoveVolumes(ctx, "shop", []string{"mine", "theirs", "absent"})
	if err != nil || len(removed) != 1 || removed[0] != "mine" || len(kept) != 1 || kept[0] != "theirs" {
		t.Fatalf("removed %v kept %v err %v", removed, kept, err)
	}
	if fileExists(c.volumeDir("mine")) || !fileExists(c.volumeDir("theirs")) {
		t.Fatal("wrong directories removed")
	}
	if _, _, err := c.RemoveVolumes(ctx, "shop", []string{"../etc"}); err == nil {
		t.Fatal("a path-like volume name was accepted")
	}
}

// A volume name that would leave <data-root>/volumes is refused, not followed.
func TestVolumeNameCannotEscape(t *testing.T) {
	c := &Client{opts: Options{DataRoot: t.TempDir()}}
	for _, name := range []string{"..", "../escape", "a/b", ""} {
		s := volumeSpec("shop", "x", plan.VolumeBinding{Kind: plan.VolumeNamed, Source: name, Target: "/d"})
		if _, err := c.volumeMounts(context.Background(), s, plan.ImageConfig{}, nil); err == nil {
			t.Errorf("volume name %q accepted", name)
		}
	}
	if fileExists(filepath.Join(c.opts.DataRoot, "escape")) {
		t.Fatal("a directory was created outside volumes/")
	}
}

// Issue 12 item 7, docs/spec/runtime.md §7.3: the host path is resolved again when it is
// mounted. A link made after validation that leads out of the manifest directory is
// refused, and nothing is created where it leads; the mount source is free of links.
func TestEnsureHostPathConfined(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	v := plan.VolumeBinding{Kind: plan.VolumeBind, Source: filepath.Join(dir, "data", "sub"), Target: "/data", Within: dir}
	// Validated while ./data did not exist; the link appears before up mounts it.
	if err := os.Symlink(outside, filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	_, err := ensureHostPath(v)
	var ee *manifest.EscapeError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "outside the manifest directory") {
		t.Fatalf("ensureHostPath = %v; want an escape", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "sub")); err == nil {
		t.Error("a directory was created outside the manifest directory")
	}
	v.Within = "" // an absolute host path is the author's choice: followed, not confined
	if real, err := ensureHostPath(v); err != nil || real != filepath.Join(outside, "sub") {
		t.Errorf("absolute: %q, %v", real, err)
	}
	inside := plan.VolumeBinding{Kind: plan.VolumeBind, Source: filepath.Join(dir, "link"), Target: "/x", Within: dir}
	if err := os.Mkdir(filepath.Join(dir, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	realDir, _ := filepath.EvalSymlinks(filepath.Join(dir, "real"))
	if real, err := ensureHostPath(inside); err != nil || real != realDir {
		t.Errorf("a link inside: %q, %v; want %q", real, err, realDir)
	}
}
