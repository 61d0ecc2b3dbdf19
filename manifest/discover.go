package manifest

import (
	"os"
	"path/filepath"
)

// The two manifest file names discovery looks for (§1.1).
const (
	ManifestName    = "lightshuttle.yml"
	ManifestAltName = "lightshuttle.yaml"
)

// DiagnosticError is a Diagnostic used as a Go error; errors.As gives back its Code.
type DiagnosticError struct{ Diagnostic }

// Error renders the diagnostic as text.
func (e *DiagnosticError) Error() string { return e.Diagnostic.String() }

func diagError(code, format string, args ...any) *DiagnosticError {
	d := &decoder{}
	d.errorf(code, "", "", Pos{}, format, args...)
	return &DiagnosticError{d.diags[0]}
}

// Discover finds the manifest from cwd upwards (§1.1). The error is a *DiagnosticError
// with code manifest-ambiguous or manifest-not-found.
func Discover(cwd string) (string, error) {
	start, err := filepath.Abs(cwd)
	if err != nil {
		return "", diagError("manifest-not-found", "no %s or %s found: cannot resolve the directory %s: %v", ManifestName, ManifestAltName, cwd, err)
	}
	for dir := start; ; {
		yml, yaml := filepath.Join(dir, ManifestName), filepath.Join(dir, ManifestAltName)
		hasYml, hasYaml := isRegular(yml), isRegular(yaml)
		switch {
		case hasYml && hasYaml:
			return "", diagError("manifest-ambiguous", "both %s and %s exist in %s; keep one, or choose one with --file", ManifestName, ManifestAltName, dir)
		case hasYml:
			return yml, nil
		case hasYaml:
			return yaml, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", diagError("manifest-not-found", "no %s or %s found in %s or any parent directory", ManifestName, ManifestAltName, start)
		}
		dir = parent
	}
}

// isRegular reports whether path is a regular file, following symbolic links.
func isRegular(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
