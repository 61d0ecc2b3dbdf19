package render

import (
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// docs/spec/runtime.md §9.3 plain progress: `<resource>: pulled <ref> (<size> in <duration>)`.
func TestProgressLines(t *testing.T) {
	u := containerdrt.ProgressUpdate{Phase: "pulled", Ref: "docker.io/library/postgres:16-alpine",
		Total: 108213043, Done: 108213043, Elapsed: 7900 * time.Millisecond}
	if got := ProgressLine("db", u); got != "db: pulled docker.io/library/postgres:16-alpine (103.2 MiB in 7.9s)" {
		t.Errorf("line %q", got)
	}
	u.Phase, u.Done = "pulling", 1536
	if got := ProgressDetail("db", u); got != "pulling docker.io/library/postgres:16-alpine (1.5 KiB / 103.2 MiB)" {
		t.Errorf("detail %q", got)
	}
	if ProgressLine("db", u) != "" {
		t.Error("an intermediate update printed a plain line")
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 5 << 30: "5.0 GiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
