package containerdrt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/core/mount"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// volumeRecord is <data-root>/volumes/<name>/volume.json (docs/spec/runtime.md §1.2, §7.1).
type volumeRecord struct {
	Name      string  `json:"name"`
	Project   string  `json:"project"`
	Resource  *string `json:"resource"` // set for default postgres/redis volumes
	CreatedAt string  `json:"created_at"`
}

func (c *Client) volumeDir(name string) string {
	return filepath.Join(c.dataRoot(), "volumes", name)
}

// volumeMounts returns the OCI mounts of a container (docs/spec/runtime.md §3.1, §7): its named
// volumes (created, ownership-checked and copied up on first use) and host paths
// (created 0755 when missing), all rbind rprivate, rw unless the mapping says :ro;
// then the project's hosts, resolv.conf and hostname files read-only. rootfs is the
// container's snapshot, read for copy-up.
func (c *Client) volumeMounts(ctx context.Context, s *plan.ContainerSpec, img plan.ImageConfig, rootfs []mount.Mount) ([]specs.Mount, error) {
	var out []specs.Mount
	for _, v := range s.Volumes {
		target := volumeTarget(v, img.Env)
		var source string
		switch v.Kind {
		case plan.VolumeNamed:
			dir, err := c.ensureVolume(ctx, s, v, target, rootfs)
			if err != nil {
				return nil, err
			}
			source = dir
		case plan.VolumeBind:
			real, err := ensureHostPath(v)
			if err != nil {
				return nil, fmt.Errorf("resources.%s: %w", s.Resource, err)
			}
			source = real
		default:
			return nil, fmt.Errorf("resources.%s: unknown volume kind %q", s.Resource, v.Kind)
		}
		mode := "rw"
		if v.ReadOnly {
			mode = "ro"
		}
		out = append(out, specs.Mount{
			Destination: target, Type: "bind", Source: source,
			Options: []string{"rbind", mode, "rprivate"},
		})
	}
	files := []struct{ src, dst string }{
		{s.HostsPath, "/etc/hosts"}, {s.ResolvConfPath, "/etc/resolv.conf"}, {s.HostnamePath, "/etc/hostname"},
	}
	for _, f := range s.Files {
		files = append(files, struct{ src, dst string }{f.Source, f.Target})
	}
	for _, f := range files {
		if f.src == "" {
			continue
		}
		out = append(out, specs.Mount{
			Destination: f.dst, Type: "bind", Source: f.src,
			Options: []string{"rbind", "ro", "rprivate"},
		})
	}
	return out, nil
}

// volumeTarget is the mount target: the image Env value named by
// TargetFromImageEnv (postgres PGDATA) when set and non-empty, else Target.
func volumeTarget(v plan.VolumeBinding, env []string) string {
	if v.TargetFromImageEnv == "" {
		return v.Target
	}
	prefix := v.TargetFromImageEnv + "="
	for i := len(env) - 1; i >= 0; i-- { // the last definition wins, as in a process env
		if val, ok := strings.CutPrefix(env[i], prefix); ok && strings.HasPrefix(val, "/") {
			return filepath.Clean(val)
		}
	}
	return v.Target
}

// ensureHostPath resolves a bind mount's host path now, at the point of use, and
// returns the path to mount, free of symbolic links (docs/spec/runtime.md §7.3): a path written
// relative to the manifest directory that leads outside it — through a link made after
// validation, say — is refused. A missing directory is created (0755) where the links
// lead, and checked again once created, so a link swapped in meanwhile is refused too.
func ensureHostPath(v plan.VolumeBinding) (string, error) {
	real, err := manifest.ConfineHostPath(v.Within, v.Source)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(real); err == nil {
		return real, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("host path: %w", err) // the error names the path
	}
	if err := os.MkdirAll(real, 0o755); err != nil {
		return "", fmt.Errorf("create host path: %w", err)
	}
	again, err := manifest.ConfineHostPath(v.Within, v.Source)
	if err != nil {
		return "", err
	}
	if again != real {
		return "", fmt.Errorf("host path %s changed while it was created (now %s): refusing to mount it", v.Source, again)
	}
	return real, nil
}

// ensureVolume returns the _data directory of a named volume, creating it with its
// record and copy-up on first use, and enforcing default-volume ownership (§7.1).
func (c *Client) ensureVolume(ctx context.Context, s *plan.ContainerSpec, v plan.VolumeBinding, target string, rootfs []mount.Mount) (string, error) {
	if err := checkVolumeDirName(v.Source); err != nil {
		return "", fmt.Errorf("resources.%s: %w", s.Resource, err)
	}
	dir := c.volumeDir(v.Source)
	data := filepath.Join(dir, "_data")
	if rec, err := readVolumeRecord(dir); err != nil || rec != nil {
		if err != nil {
			return "", err
		}
		return data, checkVolumeOwner(rec, s.Project, v.DefaultFor)
	}
	unlock, err := lockDataRoot(c.dataRoot())
	if err != nil {
		return "", err
	}
	defer unlock()
	if rec, err := readVolumeRecord(dir); err != nil || rec != nil { // created while we waited
		if err != nil {
			return "", err
		}
		return data, checkVolumeOwner(rec, s.Project, v.DefaultFor)
	}
	// A _data left by a crash before the record was written is started afresh.
	if err := os.RemoveAll(data); err != nil {
		return "", fmt.Errorf("reset volume %q: %w", v.Source, err)
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		return "", fmt.Errorf("create volume %q: %w", v.Source, err)
	}
	if err := copyUpFromImage(ctx, rootfs, target, data); err != nil {
		return "", fmt.Errorf("volume %q at %s: %w", v.Source, target, err)
	}
	rec := volumeRecord{Name: v.Source, Project: s.Project, CreatedAt: time.Now().UTC().Format(tsFormat)}
	if v.DefaultFor != "" {
		r := v.DefaultFor
		rec.Resource = &r
	}
	if err := writeFileAtomic(filepath.Join(dir, "volume.json"), mustJSON(rec), 0o600); err != nil {
		return "", fmt.Errorf("record volume %q: %w", v.Source, err)
	}
	return data, nil
}

// readVolumeRecord loads a volume record; a missing one is (nil, nil).
func readVolumeRecord(dir string) (*volumeRecord, error) {
	path := filepath.Join(dir, "volume.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read volume record %s: %w", path, err)
	}
	var rec volumeRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("volume record %s is corrupt (%v); fix or remove it", path, err)
	}
	return &rec, nil
}

// checkVolumeOwner refuses a default volume recorded for another project or
// resource; explicitly named volumes (defaultFor "") may be shared (§7.1).
func checkVolumeOwner(rec *volumeRecord, project, defaultFor string) error {
	if defaultFor == "" {
		return nil
	}
	resource := ""
	if rec.Resource != nil {
		resource = *rec.Resource
	}
	if rec.Project == project && resource == defaultFor {
		return nil
	}
	return &ownershipError{
		msg:      fmt.Sprintf("volume %q belongs to project %q resource %q", rec.Name, rec.Project, resource),
		sentinel: ErrNotOwned,
	}
}

// RemoveVolumes deletes the named volumes whose record names project (down
// --volumes, docs/spec/runtime.md §7.2). Volumes of other projects are returned in kept;
// names without a volume are in neither list.
func (c *Client) RemoveVolumes(ctx context.Context, project string, names []string) (removed []string, kept []string, err error) {
	unlock, err := lockDataRoot(c.dataRoot())
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	var errs []error
	for _, name := range names {
		if err := checkVolumeDirName(name); err != nil {
			errs = append(errs, err)
			continue
		}
		dir := c.volumeDir(name)
		rec, err := readVolumeRecord(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if rec == nil {
			continue
		}
		if rec.Project != project {
			kept = append(kept, name)
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, fmt.Errorf("remove volume %q: %w", name, err))
			continue
		}
		removed = append(removed, name)
	}
	return removed, kept, errors.Join(errs...)
}

// checkVolumeDirName refuses names that would leave <data-root>/volumes/. The
// manifest validator already enforces the volume-name grammar; this guards the
// filesystem against any caller that did not.
func checkVolumeDirName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("invalid volume name %q", name)
	}
	return nil
}
