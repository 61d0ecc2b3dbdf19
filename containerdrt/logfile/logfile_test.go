package logfile

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fixedClock returns increasing times one nanosecond apart from a fixed origin.
func fixedClock() func() time.Time {
	var n atomic.Int64
	origin := time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("X", 3600))
	return func() time.Time { return origin.Add(time.Duration(n.Add(1))) }
}

func newTestWriter(t *testing.T, maxSize int64) (*Writer, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "logs", "db.log")
	w, err := openWriter(path, maxSize, fixedClock())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, path
}

// docs/spec/runtime.md §17 item 56: JSON lines {"ts","stream","line"}, ts with nine fractional digits, UTC.
func TestRecordFormat(t *testing.T) {
	w, path := newTestWriter(t, MaxFileSize)
	if err := w.Write(Stdout, `he said "hi"`); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ts":"2025-03-04T04:06:07.000000001Z","stream":"stdout","line":"he said \"hi\""}` + "\n"
	if string(b) != want {
		t.Fatalf("file = %q, want %q", b, want)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", info.Mode().Perm())
	}
}

func TestFormatTSAlwaysNineDigits(t *testing.T) {
	re := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$`)
	for _, ts := range []time.Time{
		time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 1, 1, 0, 0, 0, 120000000, time.Local),
		time.Unix(1700000000, 999999999),
	} {
		if got := FormatTS(ts); !re.MatchString(got) {
			t.Errorf("FormatTS(%v) = %q", ts, got)
		}
	}
}

// docs/spec/runtime.md §10.1: lines split at 16 KiB, invalid UTF-8 replaced, final partial line kept.
func TestCopySplitsLines(t *testing.T) {
	long := strings.Repeat("a", MaxLineSize+10)
	euro := strings.Repeat("b", MaxLineSize-1) + "€tail" // € straddles the 16 KiB boundary
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{"plain lines", "one\ntwo\n", []string{"one", "two"}},
		{"final partial line", "one\ntwo", []string{"one", "two"}},
		{"empty line kept", "\nx\n", []string{"", "x"}},
		{"16 KiB split", long + "\n", []string{long[:MaxLineSize], long[MaxLineSize:]}},
		{"exactly 16 KiB", long[:MaxLineSize] + "\n", []string{long[:MaxLineSize]}},
		{"split keeps runes whole", euro + "\n", []string{euro[:MaxLineSize-1], "€tail"}},
		{"invalid utf-8", "ok\xff\xfeok\n", []string{"ok\uFFFDok"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, path := newTestWriter(t, MaxFileSize)
			if err := Copy(w, Stderr, &chunkReader{s: tc.input, n: 7000}); err != nil {
				t.Fatal(err)
			}
			recs, err := Read(path, -1)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs {
				if r.Stream != Stderr {
					t.Errorf("stream = %q", r.Stream)
				}
				got = append(got, r.Line)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("lines = %q, want %q", short(got), short(tc.want))
			}
		})
	}
}

// chunkReader returns s in reads of at most n bytes, as a pipe would.
type chunkReader struct {
	s string
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := min(len(p), r.n, len(r.s))
	copy(p, r.s[:n])
	r.s = r.s[n:]
	return n, nil
}

func short(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if len(s) > 20 {
			s = fmt.Sprintf("%s...(%d bytes)", s[:10], len(s))
		}
		out[i] = s
	}
	return out
}

// docs/spec/runtime.md §17 item 56: rotation before exceeding the size, at most .log, .log.1, .log.2.
func TestRotationKeepsThreeFiles(t *testing.T) {
	w, path := newTestWriter(t, 400)
	for i := range 40 {
		if err := w.Write(Stdout, fmt.Sprintf("line %02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range Files(path) {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatalf("%s missing: %v", name, err)
		}
		if info.Size() > 400 {
			t.Errorf("%s is %d bytes, limit 400", name, info.Size())
		}
	}
	if _, err := os.Stat(path + ".3"); err == nil {
		t.Error(".log.3 exists")
	}
	recs, err := Read(path, -1)
	if err != nil {
		t.Fatal(err)
	}
	if last := recs[len(recs)-1].Line; last != "line 39" {
		t.Errorf("last record %q", last)
	}
	for i := 1; i < len(recs); i++ {
		if !recs[i].TS.After(recs[i-1].TS) {
			t.Fatalf("records out of order at %d: %v", i, recs[i-1:i+1])
		}
	}
}

// docs/spec/runtime.md §10.2: --tail counts records across rotated files, oldest file first.
func TestReadTailAcrossFiles(t *testing.T) {
	w, path := newTestWriter(t, 300)
	for i := range 12 {
		if err := w.Write(Stdout, fmt.Sprintf("l%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		tail int
		want string
	}{
		{0, "[]"},
		{1, "[l11]"},
		{6, "[l06 l07 l08 l09 l10 l11]"},
	}
	for _, tc := range tests {
		recs, err := Read(path, tc.tail)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range recs {
			got = append(got, r.Line)
		}
		if s := fmt.Sprint(got); s != tc.want && !(tc.want == "[]" && len(got) == 0) {
			t.Errorf("tail %d = %s, want %s", tc.tail, s, tc.want)
		}
	}
	if _, err := os.Stat(path + ".1"); err != nil {
		t.Fatal("test needs a rotated file: ", err)
	}
}

func TestReadMissingFileIsEmpty(t *testing.T) {
	recs, err := Read(filepath.Join(t.TempDir(), "none.log"), 5)
	if err != nil || len(recs) != 0 {
		t.Fatalf("Read = %v, %v", recs, err)
	}
}

// docs/spec/runtime.md §10.2: following waits for a missing file and survives rotation.
func TestFollowAcrossRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "api.log")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ch := Follow(ctx, path, 0)

	w, err := openWriter(path, 200, fixedClock())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	const n = 30 // several rotations at 200 bytes per file
	go func() {
		for i := range n {
			w.Write(Stdout, fmt.Sprintf("msg %02d", i))
			time.Sleep(2 * time.Millisecond) // pace the writer like a container would
		}
	}()
	for i := range n {
		select {
		case r, ok := <-ch:
			if !ok {
				t.Fatal("channel closed early")
			}
			if want := fmt.Sprintf("msg %02d", i); r.Line != want {
				t.Fatalf("record %d = %q, want %q", i, r.Line, want)
			}
		case <-ctx.Done():
			t.Fatalf("timed out after %d records", i)
		}
	}
	cancel()
	for range ch { // closed once ctx ends
	}
}

// Follow from ReadWithOffset neither repeats nor loses records.
func TestFollowFromOffset(t *testing.T) {
	w, path := newTestWriter(t, MaxFileSize)
	w.Write(Stdout, "old")
	recs, off, err := ReadWithOffset(path, 10)
	if err != nil || len(recs) != 1 {
		t.Fatalf("ReadWithOffset = %v, %v", recs, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch := Follow(ctx, path, off)
	w.Write(Stdout, "new")
	select {
	case r := <-ch:
		if r.Line != "new" {
			t.Fatalf("first followed record %q, want new", r.Line)
		}
	case <-ctx.Done():
		t.Fatal("timed out")
	}
}
