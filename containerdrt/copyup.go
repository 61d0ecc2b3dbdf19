package containerdrt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/containerd/containerd/v2/core/mount"
	"golang.org/x/sys/unix"
)

// copyUpFromImage copies what the image has at target into dst, a new empty
// volume directory (docs/spec/runtime.md §7.1): contents, ownership and modes, including the
// directory's own. The container's root filesystem is mounted read-only in a
// temporary directory to read it. A target missing in the image copies nothing.
func copyUpFromImage(ctx context.Context, rootfs []mount.Mount, target, dst string) error {
	if len(rootfs) == 0 {
		return nil
	}
	return mount.WithReadonlyTempMount(ctx, rootfs, func(root string) error {
		src, err := resolveInRoot(root, target)
		if err != nil {
			return err
		}
		st, err := os.Lstat(src)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("inspect image path %s: %w", target, err)
		}
		if !st.IsDir() {
			return nil // a file or device at the target: nothing to copy into a directory
		}
		return copyTree(src, dst)
	})
}

// resolveInRoot resolves path inside root the way the container will see it:
// symbolic links are followed but never lead outside root.
func resolveInRoot(root, path string) (string, error) {
	parts := strings.Split(filepath.Clean("/"+path), "/")
	resolved := "/"
	for links := 0; len(parts) > 0; {
		part := parts[0]
		parts = parts[1:]
		if part == "" || part == "." {
			continue
		}
		if part == ".." {
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, part)
		dest, err := os.Readlink(filepath.Join(root, next))
		if err != nil { // not a link (or missing): keep the component
			resolved = next
			continue
		}
		if links++; links > 40 {
			return "", fmt.Errorf("resolve %s in the image: too many symbolic links", path)
		}
		if filepath.IsAbs(dest) {
			resolved = "/"
		}
		parts = append(strings.Split(dest, "/"), parts...)
	}
	return filepath.Join(root, resolved), nil
}

// copyTree copies the directory src onto the existing directory dst, preserving
// types, ownership, modes, times and hard links. Sockets are skipped.
func copyTree(src, dst string) error {
	links := map[uint64]string{} // inode -> first copied path, for hard links
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		st, err := os.Lstat(path)
		if err != nil {
			return err
		}
		return copyEntry(path, to, st, rel == ".", links)
	})
	if err != nil {
		return fmt.Errorf("copy image content into volume: %w", err)
	}
	// Directory times last: creating entries inside changed them.
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		st, err := os.Lstat(path)
		if err != nil {
			return err
		}
		return setTimes(filepath.Join(dst, rel), st)
	})
}

// copyEntry copies one filesystem object; isRoot marks dst itself, which exists.
func copyEntry(from, to string, st os.FileInfo, isRoot bool, links map[uint64]string) error {
	sys := st.Sys().(*syscall.Stat_t)
	mode := st.Mode()
	if !mode.IsDir() && sys.Nlink > 1 {
		if first, ok := links[sys.Ino]; ok {
			return os.Link(first, to)
		}
		links[sys.Ino] = to
	}
	switch {
	case mode.IsDir():
		if !isRoot {
			if err := os.Mkdir(to, 0o700); err != nil {
				return err
			}
		}
	case mode.IsRegular():
		if err := copyFileContent(from, to); err != nil {
			return err
		}
	case mode&fs.ModeSymlink != 0:
		dest, err := os.Readlink(from)
		if err != nil {
			return err
		}
		if err := os.Symlink(dest, to); err != nil {
			return err
		}
		return lchownAndTimes(to, sys, st)
	case mode&(fs.ModeDevice|fs.ModeNamedPipe) != 0:
		if err := unix.Mknod(to, sys.Mode, int(sys.Rdev)); err != nil {
			return err
		}
	default:
		return nil // sockets and other special files are not copied
	}
	if err := os.Lchown(to, int(sys.Uid), int(sys.Gid)); err != nil {
		return err
	}
	// chmod after chown: chown clears setuid/setgid bits.
	if err := unix.Chmod(to, sys.Mode&0o7777); err != nil {
		return err
	}
	if mode.IsDir() {
		return nil // times are set once the directory is filled
	}
	return setTimes(to, st)
}

func copyFileContent(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func lchownAndTimes(path string, sys *syscall.Stat_t, st os.FileInfo) error {
	if err := os.Lchown(path, int(sys.Uid), int(sys.Gid)); err != nil {
		return err
	}
	return setTimes(path, st)
}

// setTimes copies access and modification times without following links.
func setTimes(path string, st os.FileInfo) error {
	sys := st.Sys().(*syscall.Stat_t)
	ts := []unix.Timespec{
		unix.NsecToTimespec(sys.Atim.Nano()),
		unix.NsecToTimespec(sys.Mtim.Nano()),
	}
	return unix.UtimesNanoAt(unix.AT_FDCWD, path, ts, unix.AT_SYMLINK_NOFOLLOW)
}
