package plan

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// passwordAlphabet is the 57-character alphabet of docs/spec/runtime.md §8.1 (no 0 O 1 I l).
const passwordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

// passwordLength is the length of a generated password (docs/spec/runtime.md §8.1).
const passwordLength = 24

// GeneratePassword returns 24 characters drawn uniformly from the 57-character alphabet
// with the operating system's CSPRNG. Bytes at or above the largest multiple of 57 are
// rejected so that every character is equally likely.
func GeneratePassword() (string, error) {
	const limit = 256 - 256%len(passwordAlphabet)
	out := make([]byte, 0, passwordLength)
	buf := make([]byte, 2*passwordLength)
	for len(out) < passwordLength {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("generate password: read random bytes: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < passwordLength {
				out = append(out, passwordAlphabet[int(b)%len(passwordAlphabet)])
			}
		}
	}
	return string(out), nil
}

// secretsFile is the on-disk form of secrets.json (docs/spec/runtime.md §8.2).
type secretsFile struct {
	Version   int                      `json:"version"`
	Project   string                   `json:"project"`
	Resources map[string]secretsRecord `json:"resources"`
}

type secretsRecord struct {
	Password string `json:"password"`
}

// FileSecrets is the generated-password store
// <data-root>/projects/<project>/secrets.json (docs/spec/runtime.md §8.2). Callers that write
// (Ensure, Remove) hold the project lock; the mutex only protects the in-memory copy.
type FileSecrets struct {
	path, project string
	mu            sync.Mutex
	passwords     map[string]string
	warnings      []string
}

// OpenSecrets loads the project's store without writing anything; a missing file is an
// empty store. A file readable by others is corrected to 0600 and reported by Warnings.
func OpenSecrets(dataRoot, project string) (*FileSecrets, error) {
	s := &FileSecrets{
		path:      filepath.Join(ProjectDir(dataRoot, project), "secrets.json"),
		project:   project,
		passwords: map[string]string{},
	}
	info, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read generated secrets %s: %w", s.path, err)
	}
	if info.Mode().Perm()&^0o600 != 0 {
		if err := os.Chmod(s.path, 0o600); err != nil {
			return nil, fmt.Errorf("restrict permissions of %s to 0600: %w", s.path, err)
		}
		s.warnings = append(s.warnings, fmt.Sprintf(
			"%s had permissions %#o; corrected to 0600", s.path, info.Mode().Perm()))
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return nil, fmt.Errorf("read generated secrets %s: %w", s.path, err)
	}
	if err := s.decode(data); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *FileSecrets) decode(data []byte) error {
	var f secretsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("generated secrets %s are not valid JSON (%v); repair the file, or remove it with `lsctl down --volumes` to start over", s.path, err)
	}
	if f.Version != 1 {
		return fmt.Errorf("generated secrets %s have version %d; this lsctl reads version 1", s.path, f.Version)
	}
	for name, rec := range f.Resources {
		if rec.Password != "" {
			s.passwords[name] = rec.Password
		}
	}
	return nil
}

// Warnings lists problems OpenSecrets corrected (loose permissions).
func (s *FileSecrets) Warnings() []string { return s.warnings }

// Path is the store's file.
func (s *FileSecrets) Path() string { return s.path }

// Password returns the stored password of resource.
func (s *FileSecrets) Password(resource string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.passwords[resource]
	return p, ok
}

// Ensure generates a password for every listed resource that has none and writes the
// file atomically when anything was added. Existing entries are never changed.
func (s *FileSecrets) Ensure(resources []string) (changed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	added := map[string]string{}
	for _, r := range resources {
		if _, ok := s.passwords[r]; ok {
			continue
		}
		if _, ok := added[r]; ok {
			continue
		}
		p, err := GeneratePassword()
		if err != nil {
			return false, err
		}
		added[r] = p
	}
	if len(added) == 0 {
		return false, nil
	}
	next := make(map[string]string, len(s.passwords)+len(added))
	for k, v := range s.passwords {
		next[k] = v
	}
	for k, v := range added {
		next[k] = v
	}
	if err := s.write(next); err != nil {
		return false, err
	}
	s.passwords = next
	return true, nil
}

// write stores passwords with a temporary file and a rename, so a crash leaves either
// the old or the new file, never a partial one.
func (s *FileSecrets) write(passwords map[string]string) error {
	dir := filepath.Dir(s.path)
	// The os errors name the directory ("mkdir <dir>: <cause>"): not repeated here.
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return fmt.Errorf("create the projects directory: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create the project directory: %w", err)
	}
	f := secretsFile{Version: 1, Project: s.project, Resources: map[string]secretsRecord{}}
	names := make([]string, 0, len(passwords))
	for name := range passwords {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f.Resources[name] = secretsRecord{Password: passwords[name]}
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode generated secrets: %w", err)
	}
	return WriteFileAtomic(s.path, append(data, '\n'), 0o600)
}

// Remove deletes the store (down --volumes); a missing file is not an error.
func (s *FileSecrets) Remove() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove generated secrets %s: %w", s.path, err)
	}
	s.passwords = map[string]string{}
	return nil
}

// WriteFileAtomic writes data to a temporary file in path's directory with mode perm,
// syncs it and renames it over path, so a crash leaves the old file or the new one
// (the secrets store here; lsctl's state records in containerdrt; its systemd units in
// cli). An error names path once, and the cause: `write <path>: no space left on
// device`.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return writeError(path, err)
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return writeError(path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return writeError(path, err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return writeError(path, err)
	}
	return nil
}

// writeError is `write <path>: <cause>`. The os errors name the temporary file, an
// implementation detail that repeated the path in every message; errors.Is still sees
// the cause (fs.ErrNotExist, syscall.ENOSPC).
func writeError(path string, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return fmt.Errorf("write %s: %w", path, err)
}
