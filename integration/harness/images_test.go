package harness

import (
	"archive/tar"
	"encoding/json"
	"io"
	"os"
	"path"
	"slices"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// readArchive returns the files of a small OCI layout archive, skipping layer blobs.
func readArchive(t *testing.T, file string) map[string][]byte {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := maybeGunzip(f)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if h.Typeflag == tar.TypeReg && h.Size < 1<<20 {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[path.Clean(h.Name)] = b
		}
	}
}

func decode(t *testing.T, files map[string][]byte, name string, v any) {
	t.Helper()
	b, ok := files[name]
	if !ok {
		t.Fatalf("archive has no %s", name)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// imageConfig reads the one image of an OCI layout archive: its name annotation and config.
func imageConfig(t *testing.T, file string) (string, ocispec.Image) {
	t.Helper()
	files := readArchive(t, file)
	var idx ocispec.Index
	decode(t, files, "index.json", &idx)
	if len(idx.Manifests) != 1 {
		t.Fatalf("%s: %d manifests in index.json, want 1", file, len(idx.Manifests))
	}
	var m ocispec.Manifest
	decode(t, files, "blobs/sha256/"+idx.Manifests[0].Digest.Encoded(), &m)
	var img ocispec.Image
	decode(t, files, "blobs/sha256/"+m.Config.Digest.Encoded(), &img)
	return idx.Manifests[0].Annotations["io.containerd.image.name"], img
}

// The built archives carry the names the tests use and the official images' contract
// (docs/architecture.md "The test images must honour the official images' contract").
func TestImageArchivesHonourTheContract(t *testing.T) {
	e := &Env{ImagesDir: imagesDir()}
	tests := []struct {
		short string
		check func(t *testing.T, c ocispec.ImageConfig)
	}{
		{"busybox", func(t *testing.T, c ocispec.ImageConfig) {
			wantArgs(t, "Cmd", c.Cmd, "sh")
		}},
		{"app", func(t *testing.T, c ocispec.ImageConfig) {
			wantArgs(t, "Cmd", c.Cmd, "httpd", "-f", "-v", "-p", "8080", "-h", "/www")
		}},
		{"postgres", func(t *testing.T, c ocispec.ImageConfig) {
			wantArgs(t, "Entrypoint", c.Entrypoint, "docker-entrypoint.sh")
			wantArgs(t, "Cmd", c.Cmd, "postgres")
			if c.StopSignal != "SIGINT" {
				t.Errorf("StopSignal = %q, want SIGINT", c.StopSignal)
			}
			if !slices.Contains(c.Env, "PGDATA=/var/lib/postgresql/data") {
				t.Errorf("Env %q lacks PGDATA=/var/lib/postgresql/data", c.Env)
			}
		}},
		{"redis", func(t *testing.T, c ocispec.ImageConfig) {
			wantArgs(t, "Cmd", c.Cmd, "redis-server")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.short, func(t *testing.T) {
			name, img := imageConfig(t, e.Archive(t, tt.short))
			if name != ImageRef(tt.short) {
				t.Errorf("io.containerd.image.name = %q, want %q", name, ImageRef(tt.short))
			}
			if img.OS != "linux" || len(img.RootFS.DiffIDs) == 0 {
				t.Errorf("os %q with %d layers, want linux with layers", img.OS, len(img.RootFS.DiffIDs))
			}
			tt.check(t, img.Config)
		})
	}
}

// The docker-save variant has the manifest.json that `lsctl images load` recognises.
func TestDockerArchiveHasManifest(t *testing.T) {
	e := &Env{ImagesDir: imagesDir()}
	files := readArchive(t, e.Archive(t, "busybox-docker"))
	var m []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	decode(t, files, "manifest.json", &m)
	if len(m) != 1 || !slices.Equal(m[0].RepoTags, []string{"busybox:lsctl-test"}) || len(m[0].Layers) != 1 {
		t.Fatalf("manifest.json = %+v, want one image tagged busybox:lsctl-test with one layer", m)
	}
	if _, ok := files[m[0].Config]; !ok {
		t.Fatalf("config %s named by manifest.json is missing", m[0].Config)
	}
}

func wantArgs(t *testing.T, field string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", field, got, want)
	}
}
