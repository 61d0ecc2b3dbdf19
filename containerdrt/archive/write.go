package archive

import (
	"archive/tar"
	"fmt"
	"io"
	"path"
	"sort"
	"time"

	"golang.org/x/sys/unix"
)

// WriteTar writes p (a resolved path; a final link is archived as a link) and,
// for a directory, everything below it, as a tar stream whose entries start with
// name. Owners, modes, times, links and device numbers are kept; sockets are skipped.
func (r *Root) WriteTar(w io.Writer, p, name string) error {
	return r.writeTar(w, func(a *archiver) error { return a.add(p, name) })
}

// WriteTarContents writes what is below the directory p, its children's entries
// named from their own names, without an entry for p itself: `cp SRC/. DEST` fills
// DEST and leaves DEST's own owner, mode and times alone.
func (r *Root) WriteTarContents(w io.Writer, p string) error {
	return r.writeTar(w, func(a *archiver) error { return a.addChildren(p, "") })
}

func (r *Root) writeTar(w io.Writer, add func(*archiver) error) error {
	tw := tar.NewWriter(w)
	a := &archiver{root: r, tw: tw, links: map[[2]uint64]string{}}
	if err := add(a); err != nil {
		return err
	}
	return tw.Close()
}

type archiver struct {
	root  *Root
	tw    *tar.Writer
	links map[[2]uint64]string // device and inode -> first entry name, for hard links
}

// add archives p as entry name.
func (a *archiver) add(p, name string) error {
	st, err := a.root.lstat(p)
	if err != nil {
		return err
	}
	hdr := header(st, name)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		hdr.Name, hdr.Typeflag = hdr.Name+"/", tar.TypeDir
		if err := a.tw.WriteHeader(hdr); err != nil {
			return err
		}
		return a.addChildren(p, name)
	case unix.S_IFREG:
		return a.addFile(p, hdr, st)
	case unix.S_IFLNK:
		target, _ := a.root.readlink(p)
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
	case unix.S_IFCHR, unix.S_IFBLK:
		hdr.Typeflag = tar.TypeChar
		if st.Mode&unix.S_IFMT == unix.S_IFBLK {
			hdr.Typeflag = tar.TypeBlock
		}
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	default:
		return nil // sockets cannot be copied
	}
	return a.tw.WriteHeader(hdr)
}

// addChildren archives a directory's entries in name order.
func (a *archiver) addChildren(p, name string) error {
	dir, err := a.root.open(p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	names, err := dir.Readdirnames(-1)
	dir.Close()
	if err != nil {
		return fmt.Errorf("read directory %s:%s: %w", a.root.name, p, err)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := a.add(path.Join(p, n), path.Join(name, n)); err != nil {
			return err
		}
	}
	return nil
}

// addFile archives a regular file, or a hard link to one archived before. The file is
// opened again without following links and must still be the file described.
func (a *archiver) addFile(p string, hdr *tar.Header, st unix.Stat_t) error {
	id := [2]uint64{st.Dev, st.Ino}
	if st.Nlink > 1 {
		if first, ok := a.links[id]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			return a.tw.WriteHeader(hdr)
		}
		a.links[id] = hdr.Name
	}
	f, err := a.root.open(p, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	var now unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &now); err != nil || now.Ino != st.Ino || now.Dev != st.Dev {
		return fmt.Errorf("%s:%s changed while it was copied", a.root.name, p)
	}
	hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
	if err := a.tw.WriteHeader(hdr); err != nil {
		return err
	}
	// Exactly the size announced: a file that grows is cut, one that shrinks fails.
	if _, err := io.CopyN(a.tw, f, st.Size); err != nil {
		return fmt.Errorf("copy %s:%s: %w", a.root.name, p, err)
	}
	return nil
}

// header is the tar header of a file with the given status.
func header(st unix.Stat_t, name string) *tar.Header {
	return &tar.Header{
		Name:    name,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Unix()),
		Format:  tar.FormatPAX,
	}
}
