package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Test image archive formats.
const (
	archiveOCI       = "oci"
	archiveOCIGzip   = "oci+gzip"
	archiveDocker    = "docker"
	busyboxPath      = "/bin/busybox" // Debian's busybox-static
	ociLayerMedia    = "application/vnd.oci.image.layer.v1.tar"
	ociConfigMedia   = "application/vnd.oci.image.config.v1+json"
	ociManifestMedia = "application/vnd.oci.image.manifest.v1+json"
)

// busyboxImage is a busybox image: layers, config and manifest blobs.
type busyboxImage struct {
	layers           [][]byte
	stopSignal       string // the config's StopSignal, none when empty
	config, manifest []byte
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// buildBusyboxImage makes the image from the host's static busybox, with an applet
// symlink for each command busybox lists.
func buildBusyboxImage() (*busyboxImage, error) {
	bin, err := os.ReadFile(busyboxPath)
	if err != nil {
		return nil, fmt.Errorf("%s missing (apt-get install busybox-static): %w", busyboxPath, err)
	}
	list, err := exec.Command(busyboxPath, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("busybox --list: %w", err)
	}
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	mtime := time.Unix(0, 0)
	for _, d := range []struct {
		name string
		mode int64
	}{{"bin/", 0o755}, {"dev/", 0o755}, {"etc/", 0o755}, {"proc/", 0o755}, {"sys/", 0o755},
		{"tmp/", 0o1777}, {"var/", 0o755}, {"root/", 0o700}} {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d.name, Mode: d.mode, ModTime: mtime})
	}
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "bin/busybox", Mode: 0o755, Size: int64(len(bin)), ModTime: mtime})
	tw.Write(bin)
	for _, f := range []struct{ name, body string }{
		{"etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"},
		{"etc/group", "root:x:0:\nnogroup:x:65534:\n"},
	} {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644, Size: int64(len(f.body)), ModTime: mtime})
		tw.Write([]byte(f.body))
	}
	for _, applet := range strings.Fields(string(list)) {
		if applet == "busybox" {
			continue
		}
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + applet, Linkname: "busybox", ModTime: mtime})
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return describe(&busyboxImage{layers: [][]byte{layer.Bytes()}}), nil
}

// describe writes the config and manifest of img's layers.
func describe(img *busyboxImage) *busyboxImage {
	var diffIDs []string
	var layers []any
	for _, l := range img.layers {
		diffIDs = append(diffIDs, "sha256:"+sha(l))
		layers = append(layers, map[string]any{"mediaType": ociLayerMedia, "digest": "sha256:" + sha(l), "size": len(l)})
	}
	config := map[string]any{
		"Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		"Cmd": []string{"sh"},
	}
	if img.stopSignal != "" {
		config["StopSignal"] = img.stopSignal
	}
	img.config, _ = json.Marshal(map[string]any{
		"architecture": runtime.GOARCH, "os": "linux", "config": config,
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	img.manifest, _ = json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": ociManifestMedia,
		"config": map[string]any{"mediaType": ociConfigMedia, "digest": "sha256:" + sha(img.config), "size": len(img.config)},
		"layers": layers,
	})
	return img
}

// withStopSignal is img with StopSignal sig in its config.
func withStopSignal(img *busyboxImage, sig string) *busyboxImage {
	return describe(&busyboxImage{layers: img.layers, stopSignal: sig})
}

// withFileLayer is img plus a layer holding one file (content unique per call makes
// an image whose pull must download something).
func withFileLayer(img *busyboxImage, name string, content []byte) *busyboxImage {
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(content)), ModTime: time.Unix(0, 0)})
	tw.Write(content)
	tw.Close()
	return describe(&busyboxImage{layers: append(append([][]byte(nil), img.layers...), layer.Bytes())})
}

var (
	busyboxMu    sync.Mutex
	busyboxCache *busyboxImage
)

// writeBusyboxArchive writes the busybox image as an archive of format, named name
// (an OCI io.containerd.image.name annotation, or a docker RepoTag).
func writeBusyboxArchive(w io.Writer, format, name string) error {
	img, err := baseBusybox()
	if err != nil {
		return err
	}
	return writeArchive(w, img, format, name)
}

// baseBusybox builds the busybox image once.
func baseBusybox() (*busyboxImage, error) {
	busyboxMu.Lock()
	if busyboxCache == nil {
		img, err := buildBusyboxImage()
		if err != nil {
			busyboxMu.Unlock()
			return nil, err
		}
		busyboxCache = img
	}
	busyboxMu.Unlock()
	return busyboxCache, nil
}

// writeArchive writes img as an archive of format named name.
func writeArchive(w io.Writer, img *busyboxImage, format, name string) error {
	if format == archiveOCIGzip {
		zw := gzip.NewWriter(w)
		if err := writeArchive(zw, img, archiveOCI, name); err != nil {
			return err
		}
		return zw.Close()
	}
	tw := tar.NewWriter(w)
	add := func(path string, b []byte) {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: path, Mode: 0o644, Size: int64(len(b))})
		tw.Write(b)
	}
	switch format {
	case archiveOCI:
		add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
		annotations := map[string]string{}
		if name != "" {
			annotations["io.containerd.image.name"] = name
		}
		index, _ := json.Marshal(map[string]any{
			"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
			"manifests": []any{map[string]any{
				"mediaType": ociManifestMedia, "digest": "sha256:" + sha(img.manifest), "size": len(img.manifest),
				"annotations": annotations,
			}},
		})
		add("index.json", index)
		for _, b := range append([][]byte{img.config, img.manifest}, img.layers...) {
			add("blobs/sha256/"+sha(b), b)
		}
	case archiveDocker:
		var layers []string
		for _, l := range img.layers {
			layers = append(layers, sha(l)+"/layer.tar")
			add(sha(l)+"/layer.tar", l)
		}
		m, _ := json.Marshal([]any{map[string]any{
			"Config": sha(img.config) + ".json", "RepoTags": []string{name}, "Layers": layers,
		}})
		add("manifest.json", m)
		add(sha(img.config)+".json", img.config)
	default:
		return fmt.Errorf("unknown archive format %q", format)
	}
	return tw.Close()
}
