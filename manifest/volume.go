package manifest

// This file implements volume mappings (docs/spec/manifest.md §15): the SOURCE:TARGET grammar with
// its drive-letter rule (§15.1), host paths (§15.3), named volumes (§15.4) and targets
// (§15.5).
//
// Error convention: ParseVolume, CheckVolumeName and ResolveHostPath return a plain error
// whose message is the reason only (for example `unsupported mode "z" ...`); the
// validator wraps it into `invalid volume mapping "<m>": <reason>` (§27.2 invalid-volume).

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// maxVolumeNameLen bounds a named volume's name (§15.4).
const maxVolumeNameLen = 128

// Volume mapping reasons that name no part of the input.
var (
	errVolumeEmpty          = errors.New("the mapping is empty")
	errVolumeNoTarget       = errors.New("missing target: expected SOURCE:TARGET")
	errVolumeEmptyPart      = errors.New("empty component: both SOURCE and TARGET must be given")
	errVolumeDrive          = errors.New("drive-qualified host paths are not supported by lsctl")
	errVolumeLeavesDir      = errors.New("a relative host path must not leave the manifest directory (no \"..\" components)")
	errVolumeAbsDotDot      = errors.New("a host path must not contain \"..\" components")
	errVolumeTargetRelative = errors.New("the target must be an absolute path (starting with \"/\")")
	errVolumeTargetRoot     = errors.New("the target must not be \"/\"")
	errVolumeTargetDotDot   = errors.New("the target must not contain \"..\" components")
	errVolumeNotHostPath    = errors.New("not a host path (it must start with \".\" or \"/\")")
)

// ParseVolume parses one (already interpolated) volume mapping per §15.1-15.2, with its
// optional mode suffix :ro or :rw, and checks the source (§15.3 "..", drive paths;
// §15.4 names) and the target (§15.5). The source is returned as written;
// ResolveHostPath turns a host path into an absolute one.
func ParseVolume(s string) (VolumeMapping, error) {
	m := strings.TrimSpace(s)
	if m == "" {
		return VolumeMapping{}, errVolumeEmpty
	}
	sep := volumeSeparator(m)
	if sep < 0 {
		return VolumeMapping{}, errVolumeNoTarget
	}
	source, target := m[:sep], m[sep+1:]
	target, mode, hasMode := strings.Cut(target, ":")
	if source == "" || target == "" {
		return VolumeMapping{}, errVolumeEmptyPart
	}
	if hasMode && mode != "ro" && mode != "rw" {
		return VolumeMapping{}, fmt.Errorf("unsupported mode %s: the third field is ro (read-only) or rw (read-write, the default)", quote(mode))
	}
	v := VolumeMapping{Source: source, Target: target, HostPath: isHostPath(source), ReadOnly: mode == "ro"}
	var err error
	switch {
	case isDrivePath(source):
		err = errVolumeDrive
	case v.HostPath:
		err = checkHostPath(source)
	default:
		err = CheckVolumeName(source)
	}
	if err != nil {
		return VolumeMapping{}, err
	}
	if err := checkTarget(target); err != nil {
		return VolumeMapping{}, err
	}
	return v, nil
}

// volumeSeparator finds the colon between source and target (§15.1 step 2), or -1.
// A drive letter's colon is skipped so that C:\data is never read as a volume named C;
// "c:/data" has no further colon and so reads as volume c at /data.
func volumeSeparator(m string) int {
	if len(m) >= 3 && isLetter(m[0]) && m[1] == ':' && (m[2] == '\\' || m[2] == '/') {
		if i := strings.IndexByte(m[2:], ':'); i >= 0 {
			return i + 2
		}
		if m[2] == '\\' {
			return -1
		}
	}
	return strings.IndexByte(m, ':')
}

// isHostPath classifies a source (§15.1 step 5).
func isHostPath(source string) bool {
	return source[0] == '.' || source[0] == '/' || isDrivePath(source)
}

// isDrivePath reports whether p is drive-qualified: a letter, ":", then "\" or "/".
func isDrivePath(p string) bool {
	return len(p) >= 3 && isLetter(p[0]) && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

// isLetter reports whether c is an ASCII letter.
func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// checkHostPath rejects ".." components (§15.3): in a relative path even when the result
// would stay inside the manifest directory, so the rule is easy to state and to check.
func checkHostPath(p string) error {
	if !hasDotDot(p) {
		return nil
	}
	if strings.HasPrefix(p, "/") {
		return errVolumeAbsDotDot
	}
	return errVolumeLeavesDir
}

// hasDotDot reports whether a slash-separated path has a ".." component.
func hasDotDot(p string) bool {
	for c := range strings.SplitSeq(p, "/") {
		if c == ".." {
			return true
		}
	}
	return false
}

// checkTarget applies §15.5.
func checkTarget(t string) error {
	switch {
	case !strings.HasPrefix(t, "/"):
		return errVolumeTargetRelative
	case hasDotDot(t):
		return errVolumeTargetDotDot
	case path.Clean(t) == "/":
		return errVolumeTargetRoot
	}
	return nil
}

// CheckVolumeName checks a named-volume name (§15.4): ^[A-Za-z0-9][A-Za-z0-9_.-]*$, at
// most 128 characters. It serves volumes entries and the postgres/redis `volume` string.
func CheckVolumeName(s string) error {
	ok := s != "" && len(s) <= maxVolumeNameLen && isAlnum(s[0])
	for i := 1; ok && i < len(s); i++ {
		c := s[i]
		ok = isAlnum(c) || c == '_' || c == '.' || c == '-'
	}
	if !ok {
		return fmt.Errorf("invalid volume name %s: use letters, digits, \"_\", \".\" and \"-\", starting with a letter or digit, at most %d characters", quote(s), maxVolumeNameLen)
	}
	return nil
}

// ResolveHostPath resolves a host-path source against the manifest directory (§15.3):
// a relative path loses its leading "./" and is joined to manifestDir; an absolute one
// is only cleaned. Paths with ".." components and drive-qualified paths are rejected.
// The result is lexical: symbolic links are not resolved and nothing is created.
func ResolveHostPath(manifestDir, source string) (string, error) {
	switch {
	case source == "":
		return "", errVolumeEmptyPart
	case isDrivePath(source):
		return "", errVolumeDrive
	case !isHostPath(source):
		return "", errVolumeNotHostPath
	}
	if err := checkHostPath(source); err != nil {
		return "", err
	}
	if strings.HasPrefix(source, "/") {
		return filepath.Clean(source), nil
	}
	rel := source
	for strings.HasPrefix(rel, "./") {
		rel = strings.TrimLeft(rel[2:], "/")
	}
	return filepath.Join(manifestDir, rel), nil
}
