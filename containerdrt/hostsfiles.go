package containerdrt

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lightshuttle/lsctl/plan"
)

// writeProjectFiles writes the files every container of the project mounts
// read-only (runtime.md §5.4): hosts, resolv.conf and hostname/<resource>, and points
// each container spec at them.
func (c *Client) writeProjectFiles(p *plan.Plan) error {
	dir := plan.ProjectDir(c.dataRoot(), p.Project)
	if err := os.MkdirAll(filepath.Join(dir, "hostname"), 0o700); err != nil {
		return fmt.Errorf("create project directory %s: %w", dir, err)
	}
	// Containers read these files through bind mounts as any user; the project
	// directory is 0700 but the mount source is resolved by root before that matters.
	hosts := filepath.Join(dir, "hosts")
	if err := rewriteInPlace(hosts, p.HostsFile()); err != nil {
		return err
	}
	resolv := filepath.Join(dir, "resolv.conf")
	content, warn, err := containerResolvConf(hostResolvConfPaths)
	if err != nil {
		return err
	}
	if warn != "" {
		c.warnf("%s", warn)
	}
	if err := rewriteInPlace(resolv, content); err != nil {
		return err
	}
	for _, n := range p.Nodes {
		hostname := filepath.Join(dir, "hostname", n.Name)
		if err := rewriteInPlace(hostname, []byte(n.Name+"\n")); err != nil {
			return err
		}
		n.Spec.HostsPath, n.Spec.ResolvConfPath, n.Spec.HostnamePath = hosts, resolv, hostname
		if err := writeSecretFiles(n.Spec.Files); err != nil {
			return err
		}
	}
	return nil
}

// writeSecretFiles writes the files that carry secrets into containers (a redis
// password). Each is mode 0644 so that the container's own user can read it whatever
// its uid, in a 0700 directory so that no other user of the host can.
func writeSecretFiles(files []plan.SecretFile) error {
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f.Source), 0o700); err != nil {
			return fmt.Errorf("create %s: %w", filepath.Dir(f.Source), err)
		}
		if err := rewriteInPlace(f.Source, []byte(f.Content)); err != nil {
			return err
		}
	}
	return nil
}

// rewriteInPlace makes path hold content (runtime.md §1.2): untouched when equal,
// else written from offset 0 and truncated to the new length, never renamed, so
// bind mounts in running containers keep seeing the file and never see it empty.
func rewriteInPlace(path string, content []byte) error {
	old, err := os.ReadFile(path)
	if err == nil && bytes.Equal(old, content) {
		return nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if _, err := f.WriteAt(content, 0); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Truncate(int64(len(content))); err != nil {
		f.Close()
		return fmt.Errorf("truncate %s: %w", path, err)
	}
	// A file created under a restrictive umask still needs to be world-readable:
	// container processes running as non-root users read it.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	return f.Close()
}

// writeFileAtomic writes a state file through a temporary file and a rename, so a
// crash leaves either the old or the new content (runtime.md §1.2).
func writeFileAtomic(path string, content []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("create temporary file for %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename %s to %s: %w", tmp.Name(), path, err)
	}
	return nil
}
