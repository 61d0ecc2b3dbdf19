// Package archive copies files in and out of a directory tree as tar streams
// (`lsctl cp`), with every path resolved inside the tree: symbolic links are read as
// the tree's own processes would read them, and neither a path nor a link can lead
// out of it, even when the tree changes during the copy (a running container's root).
package archive

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrEscape is a path that would leave the tree through `..` or a symbolic link.
var ErrEscape = errors.New("leaves the root")

// maxLinks bounds symbolic link resolution, as the kernel's 40.
const maxLinks = 40

// Root is a directory tree; every path given to it is absolute within it ("/" is the
// tree itself).
type Root struct {
	f    *os.File
	name string // for messages: "db" or the host
}

// OpenRoot opens the tree at dir; name says whose it is in messages.
func OpenRoot(dir, name string) (*Root, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open the root of %s: %w", name, &os.PathError{Op: "open", Path: dir, Err: err})
	}
	return &Root{f: os.NewFile(uintptr(fd), dir), name: name}, nil
}

// Close releases the root.
func (r *Root) Close() error { return r.f.Close() }

// open opens p (absolute within the root) with openat2 and RESOLVE_IN_ROOT: links
// resolve inside the root whatever they say, so that a tree changed under the copy
// can at worst show other files of its own, never the host's.
func (r *Root) open(p string, flags int, mode uint32) (*os.File, error) {
	rel := strings.TrimPrefix(path.Clean("/"+p), "/")
	if rel == "" {
		rel = "."
	}
	fd, err := unix.Openat2(int(r.f.Fd()), rel, &unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Mode:    uint64(mode),
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: r.name + ":" + p, Err: err}
	}
	return os.NewFile(uintptr(fd), p), nil
}

// lstat describes p itself (a final link is not followed).
func (r *Root) lstat(p string) (unix.Stat_t, error) {
	var st unix.Stat_t
	f, err := r.open(p, unix.O_PATH|unix.O_NOFOLLOW, 0)
	if err != nil {
		return st, err
	}
	defer f.Close()
	err = unix.Fstat(int(f.Fd()), &st)
	return st, err
}

// Resolve returns p with every symbolic link resolved, the last one only with
// followLast, as an absolute clean path within the root. A `..` above the root, in p
// or in a link on the way, is ErrEscape: the caller asked for something outside the
// tree, and quietly giving it something inside instead would be a surprise.
func (r *Root) Resolve(p string, followLast bool) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%s:%s: the path must be absolute", r.name, p)
	}
	parts := strings.Split(p, "/")
	resolved, links := "/", 0
	for len(parts) > 0 {
		part := parts[0]
		parts = parts[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			if resolved == "/" {
				return "", fmt.Errorf("%s:%s: %w of %s", r.name, p, ErrEscape, r.name)
			}
			resolved = path.Dir(resolved)
			continue
		}
		next := path.Join(resolved, part)
		if len(parts) == 0 && !followLast {
			resolved = next
			break
		}
		target, isLink := r.readlink(next)
		if !isLink {
			resolved = next
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("%s:%s: too many levels of symbolic links", r.name, p)
		}
		if strings.HasPrefix(target, "/") {
			resolved = "/"
		}
		if climbs(resolved, target) {
			return "", fmt.Errorf("%s:%s: the symbolic link %s -> %s %w of %s", r.name, p, next, target, ErrEscape, r.name)
		}
		parts = append(strings.Split(target, "/"), parts...)
	}
	return resolved, nil
}

// climbs reports whether following target from dir goes above the root.
func climbs(dir, target string) bool {
	depth := strings.Count(strings.Trim(dir, "/"), "/") + 1
	if dir == "/" {
		depth = 0
	}
	for _, part := range strings.Split(target, "/") {
		switch part {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

// readlink returns the target of p when p is a symbolic link.
func (r *Root) readlink(p string) (string, bool) {
	f, err := r.open(p, unix.O_PATH|unix.O_NOFOLLOW, 0)
	if err != nil {
		return "", false
	}
	defer f.Close()
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(int(f.Fd()), "", buf)
	if err != nil {
		return "", false // not a link
	}
	return string(buf[:n]), true
}

// IsDir reports whether p (following a final link) is a directory.
func (r *Root) IsDir(p string) bool {
	f, err := r.open(p, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// Exists reports whether p itself exists, and describes the error when that cannot
// be told.
func (r *Root) Exists(p string) (bool, error) {
	_, err := r.lstat(p)
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	return err == nil, err
}

// Name is whose tree this is, as messages say it.
func (r *Root) Name() string { return r.name }

// IsLink reports whether p itself is a symbolic link.
func (r *Root) IsLink(p string) bool {
	_, ok := r.readlink(p)
	return ok
}
