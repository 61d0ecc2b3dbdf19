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
		Description: "Owners, modes, times and links are kept. `-` is a tar stream on stdout or stdin (extracted into " +
			"the directory RESOURCE:PATH). A path that leaves the container's root through `..` or a symbolic link " +
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
func (s *session) copyBetween(from cpSide, srcPath string, to cpSide, dstPath string) error {
	srcPath, err := from.abs(srcPath)
	if err != nil {
		return err
	}
	if dstPath, err = to.abs(dstPath); err != nil {
		return err
	}
	if srcPath == "-" {
		return s.extractStdin(to.root, dstPath)
	}
	src, err := from.root.Resolve(srcPath, false) // a link is copied as a link
	if err != nil {
		return err
	}
	if ok, err := from.root.Exists(src); !ok {
		return notFound(from.root.Name(), srcPath, err)
	}
	if src == "/" {
		return errors.New("copying a whole root filesystem is not supported: name a directory below /")
	}
	if dstPath == "-" {
		return from.root.WriteTar(s.stdout, src, path.Base(src))
	}
	srcIsDir := from.root.IsDir(src) && !from.root.IsLink(src)
	dir, rename, err := destination(to.root, dstPath, srcIsDir)
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(from.root.WriteTar(pw, src, path.Base(src))) }()
	err = to.root.ExtractTar(pr, dir, rename)
	pr.CloseWithError(err)
	return err
}

// destination is where a copy lands: into an existing directory under its own name,
// or as the named path, whose parent must exist.
func destination(to *archive.Root, p string, srcIsDir bool) (dir, rename string, err error) {
	resolved, err := to.Resolve(p, true)
	if err != nil {
		return "", "", err
	}
	if to.IsDir(resolved) {
		return resolved, "", nil
	}
	if exists, _ := to.Exists(resolved); exists && srcIsDir {
		return "", "", fmt.Errorf("cannot copy a directory onto the file %s:%s", to.Name(), p)
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
