package export

import (
	"os"
	"path/filepath"
	"testing"
)

// TestGolden compares every emitted file with testdata/golden/<case>/<target>; -update
// rewrites them.
func TestGolden(t *testing.T) {
	for _, name := range cases {
		p := loadCase(t, name)
		for _, target := range Targets() {
			t.Run(name+"/"+target, func(t *testing.T) {
				res := renderCase(t, p, target)
				dir := filepath.Join("testdata", "golden", name, target)
				if *update {
					if err := os.RemoveAll(dir); err != nil {
						t.Fatal(err)
					}
					for _, f := range res.Files {
						path := filepath.Join(dir, filepath.FromSlash(f.Path))
						if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(path, []byte(stable(p, string(f.Data))), 0o644); err != nil {
							t.Fatal(err)
						}
					}
					return
				}
				want := readGoldens(t, dir)
				got := fileMap(res)
				for path, data := range got {
					if w, ok := want[path]; !ok {
						t.Errorf("%s: emitted but has no golden file (run with -update and review)", path)
					} else if stable(p, data) != w {
						t.Errorf("%s differs from its golden file (run with -update and review):\n%s", path, stable(p, data))
					}
				}
				for path := range want {
					if _, ok := got[path]; !ok {
						t.Errorf("%s: golden file no longer emitted", path)
					}
				}
			})
		}
	}
}
