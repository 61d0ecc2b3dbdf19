package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/logfile"
	"github.com/lightshuttle/lsctl/plan"
)

// Issue 12 item 8, docs/spec/runtime.md §12.3: the report's lines are the failing attempt's —
// written at or after since — never an earlier run's still in the log file.
func TestLastLogLinesSince(t *testing.T) {
	root := t.TempDir()
	path := plan.LogPath(root, "shop", "api")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var data []byte
	for i, line := range []string{"old 1", "old 2", "new 1", "new 2", "new 3"} {
		rec, _ := json.Marshal(logfile.Record{TS: start.Add(time.Duration(i) * time.Second), Stream: "stdout", Line: line})
		data = append(append(data, rec...), '\n')
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	since := start.Add(2 * time.Second)
	tests := []struct {
		since time.Time
		n     int
		want  []string
	}{
		{since, 20, []string{"new 1", "new 2", "new 3"}},
		{since, 2, []string{"new 2", "new 3"}},
		{start.Add(time.Hour), 20, nil},
		{time.Time{}, 20, []string{"old 1", "old 2", "new 1", "new 2", "new 3"}},
	}
	for _, tt := range tests {
		if got := lastLogLines(root, "shop", "api", tt.since, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("lastLogLines(since %v, %d) = %q; want %q", tt.since, tt.n, got, tt.want)
		}
	}
}
