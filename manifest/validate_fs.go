package manifest

import (
	"os"
	"path/filepath"
)

// filesystem runs phase 7: the build context of every dockerfile resource is a directory
// and its Dockerfile a regular file. It is skipped when the manifest directory is unknown
// (Decode called with dir ""), and for fields whose value needs interpolation (the plan
// checks those once resolved).
func (v *validator) filesystem() {
	if v.m.Dir == "" {
		return
	}
	for _, r := range v.m.Resources {
		if r.Build != nil {
			v.buildPaths(r)
		}
	}
}

func (v *validator) buildPaths(r *Resource) {
	b, p := r.Build, base(r)
	ctx, ok := literal(b.Context)
	if !ok || isBlank(b.Context) {
		return
	}
	// The context may lie outside the manifest directory (`..`, `../svc`, an absolute
	// path): monorepos keep deploy/lightshuttle.yml beside the code (issue 15).
	ctxPath := absUnder(v.m.Dir, ctx)
	if st, err := os.Stat(ctxPath); err != nil || !st.IsDir() {
		v.errorf("context-not-found", joinPath(p, "context"), r.Name, b.Context.Pos,
			"build context %s is not a directory", quote(ctxPath))
		return
	}
	df, at := "Dockerfile", r.ConfigPos
	if b.Dockerfile.Set {
		var ok bool
		if df, ok = literal(b.Dockerfile); !ok || isBlank(b.Dockerfile) {
			return
		}
		at = b.Dockerfile.Pos
	}
	dfPath := absUnder(ctxPath, df)
	if st, err := os.Stat(dfPath); err != nil || !st.Mode().IsRegular() {
		v.errorf("dockerfile-not-found", joinPath(p, "dockerfile"), r.Name, at,
			"Dockerfile %s does not exist", quote(dfPath))
	}
}

// absUnder resolves p against dir unless it is absolute, lexically.
func absUnder(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	if !filepath.IsAbs(dir) {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
	}
	return filepath.Join(dir, p)
}
