package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/containerdrt/archive"
)

func (s *session) cpCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "cp",
		Usage:     "copy files and directories between a resource's container and the host",
		UsageText: "lsctl cp RESOURCE:PATH DEST|-\n   lsctl cp SRC|- RESOURCE:PATH",
		Description: "Owners, modes, times and links are kept. As with docker cp, a source goes into an existing " +
			"directory under its own name, a directory written SRC/. puts only what it holds there, a new DEST " +
			"becomes a copy of the source, and DEST/ must be a directory (one that exists, for a file). `-` is a " +
			"tar stream on stdout or stdin (extracted into the directory RESOURCE:PATH). A path that leaves the " +
			"container's root through `..` or a symbolic link " +
			"is refused; the container's links resolve as its own processes see them. A local path with a colon " +
			"starts with ./ or /.",
		Action: s.cpAction,
	}
}

// cpEnd is one side of a copy as written: a path in a resource's container, or on
// the host (resource ""), or a tar stream ("-").
type cpEnd struct{ resource, path string }

func (s *session) cpAction(c *ucli.Context) error {
	if err := needArgs(c, 2, 2, "SRC and DEST"); err != nil {
		return err
	}
	ld, err := s.load("", false)
	if err != nil {
		return err
	}
	src, dst := parseCpEnd(c.Args().Get(0)), parseCpEnd(c.Args().Get(1))
	ctr := src
	switch {
	case src.resource != "" && dst.resource != "":
		return usagef(c, "both SRC and DEST name a resource: copy through the host, one side at a time")
	case src.resource == "" && dst.resource == "":
		return usagef(c, "neither SRC nor DEST names a resource: one of them must be RESOURCE:PATH")
	case dst.resource != "":
		ctr = dst
	}
	if !strings.HasPrefix(ctr.path, "/") {
		return usagef(c, "the path in the container must be absolute: %s:/%s", ctr.resource, ctr.path)
	}
	id, rt, err := s.connectRunning(c.Context, ld, ctr.resource)
	if err != nil {
		return err
	}
	defer rt.Close()
	croot, err := rt.ContainerRoot(c.Context, id, ctr.resource)
	if err != nil {
		return err
	}
	defer croot.Close()
	host, err := archive.OpenRoot("/", "the host")
	if err != nil {
		return err
	}
	defer host.Close()
	c1, c2 := cpSide{root: croot}, cpSide{root: host, host: true}
	if src.resource != "" {
		return s.copyBetween(c1, src.path, c2, dst.path)
	}
	return s.copyBetween(c2, src.path, c1, dst.path)
}

// parseCpEnd reads RESOURCE:PATH, "-", or a host path (absolute, ./relative, or
// without a colon).
func parseCpEnd(arg string) cpEnd {
	if arg == "-" || strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, ".") {
		return cpEnd{path: arg}
	}
	if r, p, ok := strings.Cut(arg, ":"); ok && r != "" {
		return cpEnd{resource: r, path: p}
	}
	return cpEnd{path: arg}
}

// cpSide is one file tree of a copy: a container's, or the host's, whose relative
// paths are relative to lsctl's working directory.
type cpSide struct {
	root *archive.Root
	host bool
}

// abs makes a host path absolute.
func (c cpSide) abs(p string) (string, error) {
	if !c.host || p == "-" {
		return p, nil
	}
	return filepath.Abs(p)
}

// copyBetween copies the source path (or a tar stream on stdin) to the destination
// path (or a tar stream on stdout). Every path is checked before anything is written.
// The arguments are read as docker cp reads them: see cpSource and destination.
func (s *session) copyBetween(from cpSide, srcArg string, to cpSide, dstArg string) error {
	srcPath, err := from.abs(srcArg)
	if err != nil {
		return err
	}
	dstPath, err := to.abs(dstArg)
	if err != nil {
		return err
	}
	if srcPath == "-" {
		return s.extractStdin(to.root, dstPath)
	}
	src, err := sourceOf(from.root, srcPath, srcArg)
	if err != nil {
		return err
	}
	if dstPath == "-" {
		if src.contents {
			return from.root.WriteTarContents(s.stdout, src.path)
		}
		return from.root.WriteTar(s.stdout, src.path, path.Base(src.path))
	}
	return copyTree(from.root, src, to.root, dstPath, dirOnly(dstArg))
}

// cpSource is what a copy reads: a resolved path, and for a directory written
// `SRC/.`, only what is in it.
type cpSource struct {
	path     string
	isDir    bool
	contents bool
}

// dirOnly reports whether a path as written names a directory: it ends with / or /.
func dirOnly(arg string) bool {
	return strings.HasSuffix(arg, "/") || arg == "." || strings.HasSuffix(arg, "/.")
}

// sourceOf resolves the source p (arg as written): it must exist, be below the root,
// and be a directory when written as one (`SRC/` or `SRC/.`).
func sourceOf(from *archive.Root, p, arg string) (cpSource, error) {
	resolved, err := from.Resolve(p, false) // a link is copied as a link
	if err != nil {
		return cpSource{}, err
	}
	if ok, err := from.Exists(resolved); !ok {
		return cpSource{}, notFound(from.Name(), p, err)
	}
	if resolved == "/" {
		return cpSource{}, errors.New("copying a whole root filesystem is not supported: name a directory below /")
	}
	src := cpSource{path: resolved, isDir: from.IsDir(resolved) && !from.IsLink(resolved)}
	if dirOnly(arg) && !src.isDir {
		return cpSource{}, fmt.Errorf("%s:%s is not a directory: only a directory is written with a trailing / or /.", from.Name(), arg)
	}
	src.contents = arg == "." || strings.HasSuffix(arg, "/.")
	return src, nil
}

// copyTree copies src to the destination path p as docker cp does: into an existing
// directory under the source's name (or, for `SRC/.`, what is in it), or as the path
// itself, a new directory holding the source's contents, or a file replacing a file.
func copyTree(from *archive.Root, src cpSource, to *archive.Root, p string, dstDirOnly bool) error {
	dir, rename, err := destination(to, p, src.isDir, dstDirOnly)
	if err != nil {
		return err
	}
	write := func(w io.Writer) error { return from.WriteTar(w, src.path, path.Base(src.path)) }
	if src.contents && rename == "" {
		write = func(w io.Writer) error { return from.WriteTarContents(w, src.path) }
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(write(pw)) }()
	err = to.ExtractTar(pr, dir, rename)
	pr.CloseWithError(err)
	return err
}

// destination is where a copy lands: into an existing directory, or as the named
// path, whose parent must exist. A path written as a directory (`DEST/`) must be one
// when it exists, and must exist when a file is copied.
func destination(to *archive.Root, p string, srcIsDir, dirOnly bool) (dir, rename string, err error) {
	resolved, err := to.Resolve(p, true)
	if err != nil {
		return "", "", err
	}
	if to.IsDir(resolved) {
		return resolved, "", nil
	}
	exists, _ := to.Exists(resolved)
	switch {
	case exists && dirOnly:
		return "", "", fmt.Errorf("%s:%s is not a directory", to.Name(), p)
	case exists && srcIsDir:
		return "", "", fmt.Errorf("cannot copy a directory onto the file %s:%s", to.Name(), p)
	case dirOnly && !srcIsDir:
		return "", "", fmt.Errorf("%s:%s: the directory does not exist; create it first, or drop the trailing / to copy the file under that name", to.Name(), p)
	}
	parent := path.Dir(resolved)
	if !to.IsDir(parent) {
		return "", "", fmt.Errorf("%s:%s: the directory %s does not exist", to.Name(), p, parent)
	}
	return parent, path.Base(resolved), nil
}

// extractStdin extracts a tar stream from stdin into an existing directory. The
// stream is kept in a temporary file and its names checked first, so that a stream
// with an entry leaving the directory writes nothing at all.
func (s *session) extractStdin(to *archive.Root, p string) error {
	dir, err := to.Resolve(p, true)
	if err != nil {
		return err
	}
	if !to.IsDir(dir) {
		return fmt.Errorf("%s:%s is not a directory: a tar stream is extracted into one", to.Name(), p)
	}
	tmp, err := os.CreateTemp("", "lsctl-cp-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := archive.CheckNames(io.TeeReader(s.stdin, tmp)); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return to.ExtractTar(tmp, dir, "")
}

// notFound says that a source does not exist.
func notFound(root, p string, err error) error {
	if err != nil {
		return fmt.Errorf("%s:%s: %w", root, p, err)
	}
	return fmt.Errorf("%s:%s: no such file or directory", root, p)
}
