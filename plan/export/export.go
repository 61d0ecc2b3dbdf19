// Package export turns a plan into files that other engines run as they are: a docker
// compose file, Kubernetes manifests or a Helm chart (`lsctl export`, docs/export.md).
// It works from the plan only; secret values never reach an emitted file.
package export

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lightshuttle/lsctl/plan"
)

// Export targets.
const (
	TargetCompose    = "compose"
	TargetKubernetes = "kubernetes"
	TargetHelm       = "helm"
)

// Targets lists the export targets in help order.
func Targets() []string { return []string{TargetCompose, TargetKubernetes, TargetHelm} }

// File is one emitted file; Path is relative to the output directory, slash-separated.
type File struct {
	Path string
	Data []byte
}

// Result is what a target emits.
type Result struct {
	Files []File
	// Warnings name what does not carry over as it is (host bind mounts, ...).
	Warnings []string
}

// Render produces target's files for p without touching the disk. dir is the absolute
// output directory; relative paths in the output (compose bind mounts, build contexts)
// are computed against it.
func Render(p *plan.Plan, target, dir string) (*Result, error) {
	if p == nil {
		return nil, errors.New("export: no plan: the manifest did not load")
	}
	st, err := newStack(p, target)
	if err != nil {
		return nil, err
	}
	var res *Result
	switch target {
	case TargetCompose:
		res, err = renderCompose(st, dir)
	case TargetKubernetes:
		res, err = renderKubernetes(st)
	case TargetHelm:
		res, err = renderHelm(st)
	default:
		return nil, fmt.Errorf("unknown export target %q; expected one of %s", target, strings.Join(Targets(), ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", target, err)
	}
	for _, f := range res.Files {
		if st.secrets.leaks(string(f.Data)) != "" {
			return nil, fmt.Errorf("export %s: %s would contain a secret value; nothing was written (please report this as a bug)", target, f.Path)
		}
	}
	sort.Slice(res.Files, func(i, j int) bool { return res.Files[i].Path < res.Files[j].Path })
	return res, nil
}

// Write renders target for p into dir and returns the number of files written. A
// directory that exists and is not empty is refused unless force is set; then nothing
// is written. With force, the emitted files replace files of the same name and other
// files are left alone.
func Write(p *plan.Plan, target string, dir string, force bool) (files int, err error) {
	res, err := WriteResult(p, target, dir, force)
	if err != nil {
		return 0, err
	}
	return len(res.Files), nil
}

// WriteResult is Write returning the rendered result (files and warnings).
func WriteResult(p *plan.Plan, target string, dir string, force bool) (*Result, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("export: output directory %s: %w", dir, err)
	}
	res, err := Render(p, target, abs)
	if err != nil {
		return nil, err
	}
	if err := checkOutputDir(abs, force); err != nil {
		return nil, err
	}
	for _, f := range res.Files {
		path := filepath.Join(abs, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("export: create directory for %s: %w", path, err)
		}
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			return nil, fmt.Errorf("export: write %s: %w", path, err)
		}
	}
	return res, nil
}

// checkOutputDir refuses a non-empty directory without force, and anything at dir that
// is not a directory.
func checkOutputDir(dir string, force bool) error {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("export: output directory %s: %w", dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("export: output path %s exists and is not a directory; choose another with -o", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("export: read output directory %s: %w", dir, err)
	}
	if len(entries) > 0 && !force {
		return fmt.Errorf("export: output directory %s is not empty; nothing was written (use --force to overwrite, or -o to choose another directory)", dir)
	}
	return nil
}
