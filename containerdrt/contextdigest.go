package containerdrt

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/lightshuttle/lsctl/plan"
)

// contextDigestVersion starts every hashed stream, so that a change of what is hashed
// never lets an old label match a new digest.
const contextDigestVersion = "lsctl-context-digest-v1"

// ContextDigest hashes what a build of b depends on (docs/spec/runtime.md §9.7): every file,
// directory and symlink of the context that .dockerignore does not exclude (path, type,
// permission bits, content or link target), the Dockerfile's content, the build
// arguments in order and the target. Modification times are left out on purpose: a
// touched but unchanged file must not trigger a rebuild. The result is "sha256:<hex>".
func ContextDigest(b *plan.BuildSpec) (string, error) {
	if b == nil {
		return "", errors.New("context digest: no build section")
	}
	if err := checkContextDir(b.Context); err != nil {
		return "", err
	}
	h := sha256.New()
	field(h, contextDigestVersion)
	df, err := os.ReadFile(b.Dockerfile)
	if err != nil {
		return "", fmt.Errorf("read Dockerfile %s: %w (check `dockerfile:`; it is relative to the context directory)", b.Dockerfile, err)
	}
	field(h, "dockerfile")
	field(h, string(df))
	field(h, "args")
	for _, a := range b.Args {
		field(h, a.Name)
		field(h, a.Value)
	}
	field(h, "target")
	field(h, b.Target)
	field(h, "context")
	if err := hashContext(h, b); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// checkContextDir fails unless dir is a directory, naming the field to fix.
func checkContextDir(dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("build context %s: %w (check `context:`; it is relative to the manifest directory)", dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("build context %s is not a directory (check `context:`)", dir)
	}
	return nil
}

// field writes s length-prefixed, so that no two different sequences hash alike.
func field(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}

// ignoreMatcher reads the patterns BuildKit's Dockerfile frontend applies: the
// Dockerfile-specific `<Dockerfile>.dockerignore` when it exists, else `.dockerignore`
// at the context root. It returns nil when there is neither.
func ignoreMatcher(b *plan.BuildSpec) (*patternmatcher.PatternMatcher, error) {
	for _, p := range []string{b.Dockerfile + ".dockerignore", filepath.Join(b.Context, ".dockerignore")} {
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		patterns, err := ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		pm, err := patternmatcher.New(patterns)
		if err != nil {
			return nil, fmt.Errorf("invalid pattern in %s: %w", p, err)
		}
		return pm, nil
	}
	return nil, nil
}

// hashContext walks the context in lexical order and hashes every entry that is not
// ignored. An ignored directory is still entered when the patterns hold exceptions
// ("!keep"), since a file below it may be re-included.
func hashContext(h hash.Hash, b *plan.BuildSpec) error {
	pm, err := ignoreMatcher(b)
	if err != nil {
		return err
	}
	return filepath.WalkDir(b.Context, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read build context: %w", err)
		}
		rel, err := filepath.Rel(b.Context, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if pm != nil {
			ignored, err := pm.MatchesOrParentMatches(rel)
			if err != nil {
				return fmt.Errorf("match .dockerignore against %s: %w", rel, err)
			}
			if ignored {
				if d.IsDir() && !pm.Exclusions() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		return hashEntry(h, path, rel, d)
	})
}

// hashEntry hashes one context entry: path, type and permission bits, then the content
// of a regular file or the target of a symlink.
func hashEntry(h hash.Hash, path, rel string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return fmt.Errorf("read build context: %w", err)
	}
	field(h, rel)
	field(h, fmt.Sprintf("%o", info.Mode()&(fs.ModeType|fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)))
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return fmt.Errorf("read build context: %w", err)
		}
		field(h, target)
	case info.Mode().IsRegular():
		return hashFile(h, path, info.Size())
	}
	return nil
}

// hashFile streams a regular file into h after its size, so that a large context is
// never held in memory.
func hashFile(h hash.Hash, path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read build context: %w", err)
	}
	defer f.Close()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(size))
	h.Write(n[:])
	copied, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("read build context: %w", err)
	}
	if copied != size {
		return fmt.Errorf("read build context: %s changed while it was read", path)
	}
	return nil
}
