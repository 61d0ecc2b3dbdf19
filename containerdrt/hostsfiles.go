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
// read-only (docs/spec/runtime.md §5.4): hosts, resolv.conf and hostname/<resource>, and points
// each container spec at them.
func (c *Client) writeProjectFiles(p *plan.Plan) error {
	dir := plan.ProjectDir(c.dataRoot(), p.Project)
	if err := os.MkdirAll(filepath.Join(dir, "hostname"), 0o700); err != nil {
		return fmt.Errorf("create project directory: %w", err) // the error names it
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
			return err // "mkdir <dir>: <cause>"
		}
		if err := rewriteInPlace(f.Source, []byte(f.Content)); err != nil {
			return err
		}
	}
	return nil
}

// rewriteInPlace makes path hold content (docs/spec/runtime.md §1.2): untouched when equal,
// else written from offset 0 and truncated to the new length, never renamed, so
// bind mounts in running containers keep seeing the file and never see it empty.
func rewriteInPlace(path string, content []byte) error {
	old, err := os.ReadFile(path)
	if err == nil && bytes.Equal(old, content) {
		return nil
	}
	// The os errors name the operation and the path once ("write <path>: no space
	// left on device"): they are returned as they are.
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(content, 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Truncate(int64(len(content))); err != nil {
		f.Close()
		return err
	}
	// A file created under a restrictive umask still needs to be world-readable:
	// container processes running as non-root users read it.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeFileAtomic writes a state file through a temporary file, fsync and a rename, so
// a crash or a full disk leaves either the old or the new content (docs/spec/runtime.md §1.2).
func writeFileAtomic(path string, content []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create directory: %w", err) // the error names it
	}
	return plan.WriteFileAtomic(path, content, perm)
}
