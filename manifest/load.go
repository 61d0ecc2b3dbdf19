// Package manifest reads lightshuttle.yml: it finds the file, decodes it with line and
// column positions, validates it (errors and warnings of docs/spec/manifest.md §26-27), and
// provides the canonical grammars (durations, image references, ports, volumes, DNS
// labels, interpolation, dotenv files) that the plan and the CLI share.
package manifest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LoadOptions says where the manifest and the dotenv file are. File is the -f value (""
// means discover from Dir); EnvFile the --env-file value ("" means <manifest dir>/.env
// when it exists, else <Dir>/.env when that exists: defaultEnvFile); Dir the current
// directory ("" means os.Getwd); LookupEnv the process environment (nil means
// os.LookupEnv).
type LoadOptions struct {
	File, EnvFile, Dir string
	LookupEnv          func(string) (string, bool)
}

// Load locates, reads, decodes and validates the manifest (phases 1-4, 6 without LSH
// collisions, and 7) and reads the dotenv file. It returns the manifest (nil when phase 1
// failed or it could not be read at all), the environment (nil when the dotenv file
// failed), and every diagnostic, sorted (§26.1).
func Load(o LoadOptions) (*Manifest, *Env, Diagnostics) {
	cwd := o.Dir
	if cwd == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, nil, Diagnostics{diagError("manifest-unreadable", "cannot read manifest: cannot determine the current directory: %v", err).Diagnostic}
		}
		cwd = wd
	}
	cwd = absUnder(cwd, ".")
	lookup := o.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	envPath := ""
	if o.EnvFile != "" {
		// §29.85: a missing --env-file fails before anything else happens.
		envPath = absUnder(cwd, o.EnvFile)
		if _, err := os.Stat(envPath); err != nil {
			return nil, nil, Diagnostics{diagError("env-file-not-found", "env file %s does not exist", o.EnvFile).Diagnostic}
		}
	}
	path, shown, err := locate(cwd, o.File)
	if err != nil {
		return nil, nil, Diagnostics{err.Diagnostic}
	}
	data, rerr := readLimited(path)
	if rerr != nil {
		return nil, nil, Diagnostics{diagError("manifest-unreadable", "cannot read manifest %s: %s", shown, cause(rerr)).Diagnostic}
	}
	m, ds := Decode(shown, filepath.Dir(path), data)
	if m != nil {
		m.Path = path
	}
	envShown := o.EnvFile
	if envPath == "" {
		var fallback *Diagnostic
		envPath, envShown, fallback = defaultEnvFile(cwd, filepath.Dir(path))
		if fallback != nil {
			ds = append(ds, *fallback)
		}
	}
	env, envDiag := loadEnv(envPath, envShown, o.EnvFile != "", lookup)
	if envDiag != nil {
		ds = append(ds, envDiag.Diagnostic)
	}
	ds.Sort()
	return m, env, ds
}

// defaultEnvFile picks the dotenv file when --env-file is not given: <manifest dir>/.env,
// or, when that does not exist but ./.env does, the one in the current directory (the
// original LightShuttle's default), with warning env-file-fallback naming it (issue 15).
func defaultEnvFile(cwd, manifestDir string) (path, shown string, fallback *Diagnostic) {
	path = filepath.Join(manifestDir, ".env")
	alt := filepath.Join(cwd, ".env")
	if alt == path || isFile(path) || !isFile(alt) {
		return path, relativeTo(cwd, path), nil
	}
	d := &decoder{}
	d.warnf("env-file-fallback", "", "", Pos{},
		"reading %s from the current directory: %s beside the manifest does not exist (move the file there or pass --env-file %s)",
		alt, relativeTo(cwd, path), relativeTo(cwd, alt))
	return alt, relativeTo(cwd, alt), &d.diags[0]
}

// isFile reports whether path exists and is not a directory.
func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

// locate returns the manifest path to open and the name shown in diagnostics.
func locate(cwd, file string) (path, shown string, err *DiagnosticError) {
	if file == "" {
		found, derr := Discover(cwd)
		if derr != nil {
			return "", "", derr.(*DiagnosticError)
		}
		return found, relativeTo(cwd, found), nil
	}
	path = absUnder(cwd, file)
	st, serr := os.Stat(path)
	switch {
	case serr != nil:
		return "", "", diagError("manifest-unreadable", "cannot read manifest %s: %s", file, cause(serr))
	case !st.Mode().IsRegular():
		return "", "", diagError("manifest-unreadable", "cannot read manifest %s: not a regular file", file)
	}
	return path, file, nil
}

// readLimited reads at most one byte more than MaxManifestBytes, so Decode can reject an
// oversized file without reading all of it.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxManifestBytes+1))
}

// loadEnv reads and parses the dotenv file. The default file may be absent; an explicit
// one was checked by Load already.
func loadEnv(path, shown string, explicit bool, lookup func(string) (string, bool)) (*Env, *DiagnosticError) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		return NewEnv(path, nil, lookup), nil
	case err != nil:
		return nil, diagError("env-file-not-found", "env file %s cannot be read: %s", shown, cause(err))
	}
	vars, perr := ParseDotenv(shown, data)
	if perr != nil {
		msg := perr.Error()
		if !strings.HasPrefix(msg, shown+":") {
			msg = shown + ": " + msg
		}
		return nil, diagError("env-file-syntax", "%s", msg)
	}
	return NewEnv(path, vars, lookup), nil
}

// relativeTo shows path relative to dir when that is possible (§27.1 file names).
func relativeTo(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil {
		return rel
	}
	return path
}

// cause is the reason part of a file-system error, without the repeated path.
func cause(err error) string {
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "file does not exist"
	case errors.As(err, &pe):
		return pe.Err.Error()
	}
	return fmt.Sprint(err)
}
