package cli

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/cli/control/controltest"
	"github.com/lightshuttle/lsctl/containerdrt/logfile"
)

const logsManifest = "project: {name: shop}\nresources:\n  db:\n    postgres: {}\n  api:\n    container: {image: 'a:1'}\n  idle:\n    redis: {}\n"

func at(sec int) time.Time { return time.Date(2025, 3, 4, 5, 6, sec, 1, time.UTC) }

// docs/spec/runtime.md §16.6 and §17 item 57: tail per resource, padded prefixes merged by
// time, --no-prefix, --timestamps, and -f before the command meaning --file.
func TestLogs(t *testing.T) {
	root := t.TempDir()
	path := writeManifest(t, logsManifest, nil)
	controltest.WriteLog(t, root, "shop", "db", logfile.Record{TS: at(1), Stream: "stdout", Line: "db one"},
		logfile.Record{TS: at(3), Stream: "stdout", Line: "db two"}, logfile.Record{TS: at(5), Stream: "stderr", Line: "db three"})
	controltest.WriteLog(t, root, "shop", "api", logfile.Record{TS: at(2), Stream: "stdout", Line: "api one"},
		logfile.Record{TS: at(4), Stream: "stdout", Line: "api two"})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"tail 1 db api", []string{"logs", "--tail", "1", "db", "api"}, "api | api two\ndb  | db three\n"},
		{"all resources merged", []string{"logs"}, "db   | db one\napi  | api one\ndb   | db two\napi  | api two\ndb   | db three\n"},
		{"no prefix", []string{"logs", "--no-prefix", "--tail", "2", "db"}, "db two\ndb three\n"},
		{"timestamps", []string{"logs", "--timestamps", "--tail", "1", "api"}, "api | 2025-03-04T05:06:04.000000001Z api two\n"},
		{"tail 0", []string{"logs", "--tail", "0"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, append([]string{"--data-root", root, "-f", path}, tt.args...)...)
			if r.code != 0 || r.stdout != tt.want {
				t.Errorf("code %d stderr %q\nstdout:\n%s\nwant:\n%s", r.code, r.stderr, r.stdout, tt.want)
			}
		})
	}
}

func TestLogsUnknownResource(t *testing.T) {
	r := run(t, nil, "--data-root", t.TempDir(), "-f", writeManifest(t, logsManifest, nil), "logs", "nope")
	if r.code != 1 || r.stderr != "error: unknown resource \"nope\" in project \"shop\"\n" {
		t.Errorf("code %d stderr %q", r.code, r.stderr)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a polling reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// docs/spec/runtime.md §16.6: -F prints history, then new records, until SIGTERM (exit 143).
func TestLogsFollow(t *testing.T) {
	root := t.TempDir()
	path := writeManifest(t, logsManifest, nil)
	logPath := controltest.WriteLog(t, root, "shop", "db", logfile.Record{TS: at(1), Stream: "stdout", Line: "old"})
	out := &syncBuffer{}
	sigs := make(chan os.Signal, 1)
	s := &session{stdout: out, stderr: &bytes.Buffer{}, lookupEnv: func(string) (string, bool) { return "", false }, signals: sigs}
	code := make(chan int, 1)
	go func() { code <- s.run([]string{"--data-root", root, "-f", path, "logs", "-F", "db"}) }()
	controltest.WaitFor(t, func() bool { return out.String() == "db | old\n" })
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, `{"ts":%q,"stream":"stdout","line":"new"}`+"\n", logfile.FormatTS(at(9)))
	f.Close()
	controltest.WaitFor(t, func() bool { return strings.HasSuffix(out.String(), "db | new\n") })
	sigs <- syscall.SIGTERM
	if c := <-code; c != 143 {
		t.Errorf("exit %d, want 143", c)
	}
	if out.String() != "db | old\ndb | new\n" {
		t.Errorf("output %q", out.String())
	}
}
