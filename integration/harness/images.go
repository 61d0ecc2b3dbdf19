package harness

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	containerd "github.com/containerd/containerd/v2/client"
)

// Image is one test image archive made by integration/images/build.sh.
type Image struct {
	Archive string // file name in the images directory
	Ref     string // the reference the archive names
}

// Images are the test images by short name.
var Images = map[string]Image{
	"busybox":        {"busybox.tar", "localhost/lsctl-test/busybox:1"},
	"app":            {"app.tar", "localhost/lsctl-test/app:1"},
	"postgres":       {"postgres.tar", "localhost/lsctl-test/postgres:15"},
	"redis":          {"redis.tar", "localhost/lsctl-test/redis:7"},
	"busybox-docker": {"busybox-docker.tar.gz", "docker.io/library/busybox:lsctl-test"},
	// demo-app is the app of examples/demo, over the postgres and redis images' Debian layer.
	"demo-app": {"demo-app.tar", "localhost/lsctl-demo/app:1"},
}

// ImageRef returns the reference of a test image by short name; it panics on an unknown
// name, which is a mistake in the test itself.
func ImageRef(short string) string {
	img, ok := Images[short]
	if !ok {
		panic(fmt.Sprintf("harness: unknown test image %q; known: %s", short, knownImages()))
	}
	return img.Ref
}

func knownImages() string {
	names := make([]string, 0, len(Images))
	for n := range Images {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// imagesDir is LSCTL_TEST_IMAGES, else the directory the builder would use for this
// checkout (it keys its cache by a hash of its own files).
func imagesDir() string {
	if d := os.Getenv("LSCTL_TEST_IMAGES"); d != "" {
		return d
	}
	out, err := exec.Command(filepath.Join(repoRoot(), "integration", "images", "build.sh"),
		"--print-dir").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// repoRoot is the module root, found from this source file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Archive returns the path of a test image archive by short name (busybox, app,
// postgres, redis, busybox-docker); a missing archive skips or fails the test.
func (e *Env) Archive(t testing.TB, short string) string {
	t.Helper()
	img, ok := Images[short]
	if !ok {
		t.Fatalf("harness: unknown test image %q; known: %s", short, knownImages())
	}
	p := filepath.Join(e.ImagesDir, img.Archive)
	if _, err := os.Stat(p); err != nil {
		unavailable(t, "test image archive %s is missing (%v); build it with: "+
			"sudo integration/provision.sh images", p, err)
	}
	return p
}

// ImportImage imports and unpacks a test image by short name into the namespace of ctx
// (set it with namespaces.WithNamespace) and returns its reference.
func (e *Env) ImportImage(t testing.TB, ctx context.Context, client *containerd.Client, short string) string {
	t.Helper()
	f, err := os.Open(e.Archive(t, short))
	if err != nil {
		t.Fatalf("open test image: %v", err)
	}
	defer f.Close()
	r, err := maybeGunzip(f)
	if err != nil {
		t.Fatalf("read test image %s: %v", short, err)
	}
	imgs, err := client.Import(ctx, r)
	if err != nil {
		t.Fatalf("import test image %s: %v", short, err)
	}
	for _, img := range imgs {
		if err := containerd.NewImage(client, img).Unpack(ctx, ""); err != nil {
			t.Fatalf("unpack test image %s (%s): %v", short, img.Name, err)
		}
	}
	return Images[short].Ref
}

// maybeGunzip decompresses a gzip stream and passes anything else through.
func maybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err != nil {
		return nil, err
	}
	if magic[0] == 0x1f && magic[1] == 0x8b {
		return gzip.NewReader(br)
	}
	return br, nil
}
