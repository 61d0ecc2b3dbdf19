package manifest

// This file resolves host paths on the filesystem (docs/spec/manifest.md §15.3): symbolic links
// are followed before the manifest-directory rule is applied, so `./linkdir -> /etc`
// cannot mount the host's /etc; and host paths that hand the container a sensitive
// part of the host are named (the sensitive-host-path warning). The validator and the
// plan use it to report; containerdrt uses ConfineHostPath again when it mounts, so a
// link created after validation cannot escape either.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxSymlinks bounds the links followed in one path, as the kernel's ELOOP does.
const maxSymlinks = 40

// EscapeError is a relative host path that leaves the manifest directory through a
// symbolic link.
type EscapeError struct {
	Path   string // the host path as resolved lexically (absolute)
	Real   string // where its symbolic links lead
	Within string // the manifest directory, symbolic links resolved
}

func (e *EscapeError) Error() string {
	return fmt.Sprintf("host path %s resolves through a symbolic link to %s, outside the manifest directory %s; write %s as an absolute host path if it is meant",
		quote(e.Path), quote(e.Real), quote(e.Within), quote(e.Real))
}

// RealHostPath returns p, made absolute against the current directory, with every
// symbolic link resolved as the kernel would follow them. Components from the first
// one that does not exist are appended lexically: that is where a mount creates
// directories. It reads the filesystem and changes nothing.
func RealHostPath(p string) (string, error) {
	if !filepath.IsAbs(p) {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("host path %s: %w", quote(p), err)
		}
		p = abs
	}
	resolved, rest, links := "/", strings.Split(p, "/"), 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, c)
		fi, err := os.Lstat(next)
		if errors.Is(err, fs.ErrNotExist) {
			return filepath.Join(append([]string{next}, rest...)...), nil
		}
		if err != nil {
			return "", fmt.Errorf("host path %s: %w", quote(p), pathErrno(err))
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			resolved = next
			continue
		}
		if links++; links > maxSymlinks {
			return "", fmt.Errorf("host path %s: too many levels of symbolic links", quote(p))
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", fmt.Errorf("host path %s: %w", quote(p), pathErrno(err))
		}
		if filepath.IsAbs(target) {
			resolved = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return resolved, nil
}

// pathErrno drops the path an *fs.PathError repeats: the caller names it once.
func pathErrno(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ConfineHostPath returns RealHostPath(p). When within is not empty (a relative host
// path, resolved against the manifest directory within), a result outside within's
// own real path is an *EscapeError.
func ConfineHostPath(within, p string) (string, error) {
	real, err := RealHostPath(p)
	if err != nil || within == "" {
		return real, err
	}
	root, err := RealHostPath(within)
	if err != nil {
		return "", err
	}
	if !isUnder(real, root) {
		return "", &EscapeError{Path: p, Real: real, Within: root}
	}
	return real, nil
}

// isUnder reports whether p is dir or lies inside it (both clean and absolute).
func isUnder(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// sensitiveHostPaths are host directories a container should not be handed: the
// system's configuration, the kernel's and devices' interfaces, the runtime state
// with containerd's socket, and containerd's own storage. A host path that is one of
// them or contains one gives sensitive-host-path.
var sensitiveHostPaths = []string{
	"/etc", "/run", "/var/run", "/proc", "/sys", "/dev", "/boot",
	"/run/containerd", "/var/run/containerd", "/run/containerd/containerd.sock", "/var/lib/containerd",
}

// sensitiveTrees are the sensitive directories whose every descendant is sensitive too:
// a file under /proc or /sys is a kernel interface, one under /run/containerd is
// containerd's socket or state. (A file under /etc or /run is an ordinary config file or
// a service's socket: mounting one is common and not warned about.)
var sensitiveTrees = []string{"/proc", "/sys", "/dev", "/boot", "/run/containerd", "/var/run/containerd", "/var/lib/containerd"}

// SensitiveHostPath returns the sensitive host directory that the host path p (clean,
// absolute) hands a container — p itself, one inside p, or one p lies in — or "".
func SensitiveHostPath(p string) string {
	if p == "/" {
		return "/"
	}
	for _, s := range sensitiveHostPaths {
		if isUnder(s, p) {
			return s
		}
	}
	for _, s := range sensitiveTrees {
		if isUnder(p, s) {
			return s
		}
	}
	return ""
}

// CheckHostPath applies the filesystem rules of §15.3 to a host-path source that
// resolved (lexically) to abs: a source written relative to the manifest directory
// within must stay inside it once symbolic links are followed (an *EscapeError; within
// is "" for an absolute source), and a source that hands the container a sensitive
// host directory, itself or through a link, gives the sensitive-host-path message as
// warn.
func CheckHostPath(within, abs string) (warn string, err error) {
	real, err := ConfineHostPath(within, abs)
	if err != nil {
		return "", err
	}
	s := SensitiveHostPath(abs)
	if s == "" {
		s = SensitiveHostPath(real)
	}
	if s == "" {
		return "", nil
	}
	via := ""
	if real != abs {
		via = " (through a symbolic link to " + quote(real) + ")"
	}
	return fmt.Sprintf("host path %s%s gives the container the host's %s; mount a narrower directory", quote(abs), via, s), nil
}
