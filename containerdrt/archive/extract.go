package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ExtractTar writes a tar stream's entries below dir (a resolved directory within the
// root), with their owners, modes and times. With rename, the first element of every
// entry name is replaced by it (a copy under a new name). An entry whose name is
// absolute or climbs out of dir with `..`, or a hard link to such a name, is refused
// before anything of it is written. Each entry is created in its parent directory,
// opened inside the root, under its last name element without following links: no
// link, in the archive or in the tree, can make a write land outside the root.
func (r *Root) ExtractTar(rd io.Reader, dir, rename string) error {
	tr := tar.NewReader(rd)
	var dirs []*tar.Header // times are set last: filling a directory changes them
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read the archive: %w", err)
		}
		name, err := entryName(hdr.Name, rename)
		if err != nil {
			return err
		}
		if err := r.extract(tr, hdr, dir, name, rename); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeDir {
			h := *hdr
			h.Name = path.Join(dir, name)
			dirs = append(dirs, &h)
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		parent, base := splitTarget(dirs[i].Name)
		if pf, err := r.open(parent, unix.O_PATH|unix.O_DIRECTORY, 0); err == nil {
			setTimes(pf, base, dirs[i])
			pf.Close()
		}
	}
	return nil
}

// entryName is an entry's name below the destination, or an error when it leaves it.
func entryName(name, rename string) (string, error) {
	clean := path.Clean(name)
	if path.IsAbs(name) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("archive entry %q: %w of the destination", name, ErrEscape)
	}
	if rename != "" {
		if _, rest, ok := strings.Cut(clean, "/"); ok {
			return rename + "/" + rest, nil
		}
		return rename, nil
	}
	return clean, nil
}

// splitTarget is a target's parent directory and last element ("." for the root).
func splitTarget(target string) (string, string) {
	target = path.Clean(target)
	if target == "/" {
		return "/", "."
	}
	return path.Dir(target), path.Base(target)
}

// extract creates one entry.
func (r *Root) extract(tr *tar.Reader, hdr *tar.Header, dir, name, rename string) error {
	target := path.Join(dir, name)
	pf, base, err := r.openParent(target)
	if err != nil {
		return err
	}
	defer pf.Close()
	pfd := int(pf.Fd())
	fail := func(err error) error { return fmt.Errorf("write %s:%s: %w", r.name, target, err) }
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := unix.Mkdirat(pfd, base, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
			return fail(err)
		}
		return r.setOwnerMode(pfd, base, hdr, unix.O_RDONLY|unix.O_DIRECTORY)
	case tar.TypeReg, tar.TypeRegA:
		return r.writeFile(tr, pfd, base, hdr, fail)
	case tar.TypeSymlink:
		if err := replace(pfd, base); err != nil {
			return fail(err)
		}
		if err := unix.Symlinkat(hdr.Linkname, pfd, base); err != nil {
			return fail(err)
		}
		_ = unix.Fchownat(pfd, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW)
	case tar.TypeLink:
		return r.hardLink(pfd, base, dir, hdr.Linkname, rename, fail)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		if err := replace(pfd, base); err != nil {
			return fail(err)
		}
		kind := map[byte]uint32{tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK, tar.TypeFifo: unix.S_IFIFO}[hdr.Typeflag]
		dev := int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
		if err := unix.Mknodat(pfd, base, kind|uint32(hdr.Mode&0o7777), dev); err != nil {
			return fail(err)
		}
		return r.setOwnerMode(pfd, base, hdr, unix.O_PATH)
	default:
		return nil // pax headers and the like carry no file
	}
	setTimes(pf, base, hdr)
	return nil
}

// writeFile writes a regular file's content, replacing what was at its name.
func (r *Root) writeFile(tr *tar.Reader, pfd int, base string, hdr *tar.Header, fail func(error) error) error {
	if err := replace(pfd, base); err != nil {
		return fail(err)
	}
	fd, err := unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fail(err)
	}
	f := os.NewFile(uintptr(fd), base)
	defer f.Close()
	if _, err := io.Copy(f, tr); err != nil {
		return fail(err)
	}
	if err := ownAndMode(f, hdr); err != nil {
		return fail(err)
	}
	tv := []unix.Timeval{unix.NsecToTimeval(accessTime(hdr).UnixNano()), unix.NsecToTimeval(hdr.ModTime.UnixNano())}
	_ = unix.Futimes(int(f.Fd()), tv)
	return nil
}

// hardLink links base to an entry extracted before.
func (r *Root) hardLink(pfd int, base, dir, linkname, rename string, fail func(error) error) error {
	old, err := entryName(linkname, rename)
	if err != nil {
		return err
	}
	oldParent, oldBase := splitTarget(path.Join(dir, old))
	of, err := r.open(oldParent, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return fail(err)
	}
	defer of.Close()
	if err := replace(pfd, base); err != nil {
		return fail(err)
	}
	if err := unix.Linkat(int(of.Fd()), oldBase, pfd, base, 0); err != nil {
		return fail(err)
	}
	return nil
}

// setOwnerMode opens base (never through a link) and sets the entry's owner and mode
// on what it opened, then its times.
func (r *Root) setOwnerMode(pfd int, base string, hdr *tar.Header, flags int) error {
	fd, err := unix.Openat(pfd, base, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("write %s: %w", base, err)
	}
	f := os.NewFile(uintptr(fd), base)
	defer f.Close()
	if flags&unix.O_PATH != 0 { // a device or fifo: chown through the descriptor
		if err := unix.Fchownat(fd, "", hdr.Uid, hdr.Gid, unix.AT_EMPTY_PATH); err != nil {
			return fmt.Errorf("write %s: %w", base, err)
		}
		return nil
	}
	if err := ownAndMode(f, hdr); err != nil {
		return fmt.Errorf("write %s: %w", base, err)
	}
	return nil
}

// ownAndMode sets owner then mode (a chown clears setuid and setgid bits).
func ownAndMode(f *os.File, hdr *tar.Header) error {
	if err := f.Chown(hdr.Uid, hdr.Gid); err != nil {
		return err
	}
	return unix.Fchmod(int(f.Fd()), uint32(hdr.Mode&0o7777))
}

// replace removes a non-directory at base so that the entry can take its place.
func replace(pfd int, base string) error {
	err := unix.Unlinkat(pfd, base, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if errors.Is(err, unix.EISDIR) {
		return fmt.Errorf("a directory is in the way of a file")
	}
	return err
}

// setTimes sets base's access and modification times without following a link.
func setTimes(dir *os.File, base string, hdr *tar.Header) {
	ts := []unix.Timespec{unix.NsecToTimespec(accessTime(hdr).UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
	_ = unix.UtimesNanoAt(int(dir.Fd()), base, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// accessTime is the entry's access time, its modification time when it has none.
func accessTime(hdr *tar.Header) time.Time {
	if hdr.AccessTime.IsZero() {
		return hdr.ModTime
	}
	return hdr.AccessTime
}

// openParent opens the directory of p inside the root, creating what is missing of
// it, and returns p's last element.
func (r *Root) openParent(p string) (*os.File, string, error) {
	parent, base := splitTarget(p)
	if err := r.mkdirAll(parent); err != nil {
		return nil, "", err
	}
	pf, err := r.open(parent, unix.O_PATH|unix.O_DIRECTORY, 0)
	return pf, base, err
}

// mkdirAll creates the missing directories of p (owned by root, mode 0755).
func (r *Root) mkdirAll(p string) error {
	if r.IsDir(p) {
		return nil
	}
	pf, base, err := r.openParent(p)
	if err != nil {
		return err
	}
	defer pf.Close()
	if err := unix.Mkdirat(int(pf.Fd()), base, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("create %s:%s: %w", r.name, p, err)
	}
	return nil
}

// CheckNames reads a whole tar stream and fails on the first entry (or hard link)
// that would leave the destination, so that a stream can be refused before any of
// it is written.
func CheckNames(rd io.Reader) error {
	tr := tar.NewReader(rd)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read the archive: %w", err)
		}
		if _, err := entryName(hdr.Name, ""); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeLink {
			if _, err := entryName(hdr.Linkname, ""); err != nil {
				return err
			}
		}
	}
}
