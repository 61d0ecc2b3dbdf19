package integration

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tasks "github.com/containerd/containerd/api/services/tasks/v1"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/containerdrt/logfile"
)

// Issue 3: busybox starts; stdout and stderr are captured with stream and timestamp
// by the shim-side log driver and readable after lsctl let go (docs/spec/runtime.md §10.1,
// §17 items 55-56).
func TestRuntimeBusyboxLogs(t *testing.T) {
	e := newRTEnv(t)
	p := e.newRTProject(t, "rtlog", map[string][]string{
		"app": {"sh", "-c", "echo out1; echo err1 >&2; printf 'no newline'"},
	})
	ctr := p.start(t, "app")
	if st := waitExit(t, ctr, 30*time.Second); st.Code != 0 {
		t.Fatalf("exit code %d, want 0", st.Code)
	}
	ms, err := e.c.List(e.ctx, p.plan.Project)
	if err != nil || len(ms) != 1 {
		t.Fatalf("List = %+v, %v", ms, err)
	}
	m := ms[0]
	if m.Resource != "app" || m.ConfigHash == "" || m.IP != p.spec("app").IP.String() || m.StartedAt.IsZero() && !labelEventually(t, e, p, "app") {
		t.Errorf("managed = %+v", m)
	}
	// Task delete stops the driver; it flushes the final partial line first.
	if err := e.c.Remove(e.ctx, ctr.ID()); err != nil {
		t.Fatal(err)
	}
	logPath := p.spec("app").LogPath
	recs, err := logfile.Read(logPath, -1)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, r := range recs {
		got[r.Stream] = append(got[r.Stream], r.Line)
	}
	if strings.Join(got["stdout"], "|") != "out1|no newline" || strings.Join(got["stderr"], "|") != "err1" {
		t.Fatalf("records = %+v", recs)
	}
	raw, _ := os.ReadFile(logPath)
	ts := regexp.MustCompile(`^\{"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z","stream":"(stdout|stderr)","line":".*"\}$`)
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if !ts.MatchString(line) {
			t.Errorf("log line %q not in the documented format", line)
		}
	}
}

// labelEventually waits for the started-at label, written off the critical path.
func labelEventually(t *testing.T, e *rtEnv, p *rtProject, res string) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		ms, err := e.c.List(e.ctx, p.plan.Project)
		if err == nil && len(ms) == 1 && !ms[0].StartedAt.IsZero() {
			return true
		}
		time.Sleep(20 * time.Millisecond) // a label write has no event to await
	}
	return false
}

// Issue 3: exec true/false/timeout; docs/spec/runtime.md §11.1.
func TestRuntimeExec(t *testing.T) {
	e := newRTEnv(t)
	p := e.newRTProject(t, "rtexec", map[string][]string{"app": {"sleep", "3600"}})
	ctr := p.start(t, "app")
	execs := watchExecs(t, e.raw, e.ctx, rtNamespace)
	tests := []struct {
		name     string
		req      containerdrt.ExecRequest
		code     int
		output   string
		timedOut bool
	}{
		{"true", containerdrt.ExecRequest{Argv: []string{"true"}}, 0, "", false},
		{"false", containerdrt.ExecRequest{Argv: []string{"false"}}, 1, "", false},
		{"combined output and code", containerdrt.ExecRequest{Argv: []string{"sh", "-c", "echo out; echo err >&2; exit 3"}}, 3, "out\nerr\n", false},
		{"extra env", containerdrt.ExecRequest{Argv: []string{"sh", "-c", "echo $PROBE_ONLY-$HOSTNAME"}, Env: []string{"PROBE_ONLY=x"}}, 0, "x-app\n", false},
		{"timeout kills", containerdrt.ExecRequest{Argv: []string{"sleep", "30"}, Timeout: 300 * time.Millisecond}, 137, "", true},
		{"missing executable", containerdrt.ExecRequest{Argv: []string{"/no/such/probe"}}, 127, "", false},
		{"background child holds the output", containerdrt.ExecRequest{Argv: []string{"sh", "-c", "sleep 30 & echo started"}}, 0, "started\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			res, err := e.c.Exec(e.ctx, ctr.ID(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != tc.code || res.TimedOut != tc.timedOut {
				t.Errorf("result = %+v, want code %d timedOut %v", res, tc.code, tc.timedOut)
			}
			// stdout and stderr are separate pipes: their relative order is not kept.
			if tc.output != "" && (len(res.Output) != len(tc.output) || !containsAll(res.Output, strings.SplitAfter(tc.output, "\n")...)) {
				t.Errorf("output = %q, want %q", res.Output, tc.output)
			}
			if tc.timedOut && time.Since(start) > 10*time.Second {
				t.Errorf("timed-out exec returned after %s", time.Since(start))
			}
		})
	}
	big, err := e.c.Exec(e.ctx, ctr.ID(), containerdrt.ExecRequest{Argv: []string{"sh", "-c", "yes 0123456789 | head -c 10000"}})
	if err != nil || len(big.Output) != 4096 {
		t.Errorf("large output kept %d bytes (%v), want 4096", len(big.Output), err)
	}
	// Whatever its end (exit, timeout, start failure, a background child), a probe
	// leaves no exec process behind in the shim.
	assertExecsDeleted(t, e.raw, e.ctx, rtNamespace, ctr.ID(), execs)
}

// A probe of a container whose task went away behind the client's back (another
// process deleted it) looks the container up again instead of using the task it
// kept, and reports it as not found.
func TestRuntimeExecAfterTaskGone(t *testing.T) {
	e := newRTEnv(t)
	p := e.newRTProject(t, "rtgone", map[string][]string{"app": {"sleep", "3600"}})
	ctr := p.start(t, "app")
	if res, err := e.c.Exec(e.ctx, ctr.ID(), containerdrt.ExecRequest{Argv: []string{"true"}}); err != nil || res.ExitCode != 0 {
		t.Fatalf("first probe: %+v, %v", res, err)
	}
	cont, err := e.raw.LoadContainer(e.ctx, ctr.ID())
	if err != nil {
		t.Fatal(err)
	}
	task, err := cont.Task(e.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := task.Delete(e.ctx, containerd.WithProcessKill); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.Exec(e.ctx, ctr.ID(), containerdrt.ExecRequest{Argv: []string{"true"}})
	if !errors.Is(err, containerdrt.ErrNotFound) {
		t.Errorf("probe after the task was deleted: %v, want ErrNotFound", err)
	}
}

// Issue 3 / docs/spec/runtime.md §12.7: a PID 1 that handles SIGTERM ends at once; one whose
// handler keeps it running is killed after the grace period; one without a handler is
// killed at once; signal deaths report 128 + signal.
func TestRuntimeStop(t *testing.T) {
	e := newRTEnv(t)
	p := e.newRTProject(t, "rtstop", map[string][]string{
		"handles":   {"sh", "-c", "trap 'exit 7' TERM; sleep 3600 & wait"},
		"ignores":   {"sh", "-c", "trap 'echo term' TERM; while :; do sleep 1; done"},
		"nohandler": {"sleep", "3600"},
		"exits3":    {"sh", "-c", "exit 3"},
	})
	ctrs := map[string]containerdrt.Container{}
	for _, res := range []string{"handles", "ignores", "nohandler"} {
		ctrs[res] = p.start(t, res)
	}
	waitTrap(t, e, p, ctrs["handles"].ID())
	waitTrap(t, e, p, ctrs["ignores"].ID())
	const grace = 1500 * time.Millisecond
	tests := []struct {
		res      string
		code     int
		min, max time.Duration
	}{
		{"handles", 7, 0, grace},
		{"ignores", 137, grace, grace + 5*time.Second},
		{"nohandler", 137, 0, grace},
	}
	for _, tc := range tests {
		t.Run(tc.res, func(t *testing.T) {
			start := time.Now()
			code, err := e.c.Stop(e.ctx, ctrs[tc.res].ID(), "", grace)
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || took < tc.min || took > tc.max {
				t.Errorf("Stop = %d after %s, want %d within [%s, %s]", code, took, tc.code, tc.min, tc.max)
			}
			if st := waitExit(t, ctrs[tc.res], 5*time.Second); st.Code != tc.code {
				t.Errorf("Exited code %d, want %d", st.Code, tc.code)
			}
			if code, err := e.c.Stop(e.ctx, ctrs[tc.res].ID(), "", grace); err != nil || code != tc.code {
				t.Errorf("second Stop = %d, %v; want the recorded code", code, err)
			}
		})
	}
	t.Run("exit code reported", func(t *testing.T) {
		if st := waitExit(t, p.start(t, "exits3"), 30*time.Second); st.Code != 3 || st.At.IsZero() {
			t.Errorf("exit = %+v, want code 3 with a time", st)
		}
	})
}

// waitTrap waits until the shell of a container has installed its SIGTERM handler.
func waitTrap(t *testing.T, e *rtEnv, p *rtProject, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ms, err := e.c.List(e.ctx, p.plan.Project)
		if err == nil {
			for _, m := range ms {
				if m.ID == id && m.PID != 0 && sigCgtHasTerm(m.PID) {
					return
				}
			}
		}
		time.Sleep(10 * time.Millisecond) // the shell installs its trap without an event
	}
	t.Fatalf("%s never installed its SIGTERM handler", id)
}

func sigCgtHasTerm(pid uint32) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.FormatUint(uint64(pid), 10), "status"))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			v = strings.TrimSpace(v)
			return len(v) > 0 && hexBit(v, 14)
		}
	}
	return false
}

func hexBit(h string, bit int) bool {
	var n uint64
	for _, ch := range h {
		n <<= 4
		switch {
		case ch >= '0' && ch <= '9':
			n |= uint64(ch - '0')
		case ch >= 'a' && ch <= 'f':
			n |= uint64(ch-'a') + 10
		}
	}
	return n&(1<<bit) != 0
}

// Issue 3: remove leaves no container, task, snapshot, network namespace or mount,
// and is idempotent (docs/spec/runtime.md §12.7 step 3).
func TestRuntimeRemove(t *testing.T) {
	e := newRTEnv(t)
	p := e.newRTProject(t, "rtrm", map[string][]string{"app": {"sleep", "3600"}})
	ctr := p.start(t, "app")
	id := ctr.ID()
	netns := filepath.Join("/run/lsctl/netns", rtNamespace, id)
	if _, err := os.Stat(netns); err != nil {
		t.Fatalf("pinned netns missing while running: %v", err)
	}
	for range 2 {
		if err := e.c.Remove(e.ctx, id); err != nil {
			t.Fatalf("Remove: %v", err)
		}
	}
	if _, err := e.raw.LoadContainer(e.ctx, id); !errdefs.IsNotFound(err) {
		t.Errorf("container still exists: %v", err)
	}
	if _, err := e.raw.TaskService().Get(e.ctx, &tasks.GetRequest{ContainerID: id}); err == nil {
		t.Error("task still exists")
	}
	if _, err := e.raw.SnapshotService("overlayfs").Stat(e.ctx, id); !errdefs.IsNotFound(err) {
		t.Errorf("snapshot %s still exists: %v", id, err)
	}
	if _, err := os.Stat(netns); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("netns %s still exists: %v", netns, err)
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), id) {
		t.Errorf("a mount mentioning %s remains", id)
	}
	if ms, err := e.c.List(e.ctx, p.plan.Project); err != nil || len(ms) != 0 {
		t.Errorf("List after Remove = %+v, %v", ms, err)
	}
}

// docs/spec/runtime.md §4.1, §4.4: a container owned by another project is never touched; a
// matching running container is adopted; a changed one is recreated.
func TestRuntimePrepareOwnershipAndAdoption(t *testing.T) {
	e := newRTEnv(t)
	p := e.newRTProject(t, "rtadopt", map[string][]string{"app": {"sleep", "3600"}})
	first := p.start(t, "app")
	again, err := e.c.Prepare(e.ctx, p.spec("app"))
	if err != nil {
		t.Fatal(err)
	}
	if !again.Adopted() || again.IP() != first.IP() {
		t.Errorf("unchanged spec not adopted: adopted=%v ip=%s", again.Adopted(), again.IP())
	}
	foreign := *p.spec("app")
	foreign.Project, foreign.Resource = "other", "x"
	_, err = e.c.Prepare(e.ctx, &foreign)
	want := `container id "` + first.ID() + `" is already used by project "` + p.plan.Project + `" resource "app"`
	if !errors.Is(err, containerdrt.ErrNotOwned) || err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("foreign Prepare error = %v, want %q", err, want)
	}
	changed := p.spec("app")
	changed.Command = []string{"sleep", "3601"}
	fresh, err := e.c.Prepare(e.ctx, changed)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Adopted() {
		t.Error("changed spec adopted")
	}
	if st := waitExit(t, first, 15*time.Second); st.Code != 137 {
		t.Errorf("replaced container exit = %d, want 137", st.Code)
	}
}

// docs/spec/runtime.md §17 item 55: output keeps arriving in the log file after the lsctl side
// that started the container has gone (the shim runs the driver).
func TestRuntimeLogsOutliveClient(t *testing.T) {
	e := newRTEnv(t)
	p := e.newRTProject(t, "rtlive", map[string][]string{
		"app": {"sh", "-c", "i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.1; done"},
	})
	own, err := containerdrt.Connect(e.ctx, rtOptions(e.dataRoot))
	if err != nil {
		t.Fatal(err)
	}
	ctr, err := own.Prepare(e.ctx, p.spec("app"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ctr.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	own.Close()
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	recs := logfile.Follow(ctx, p.spec("app").LogPath, 0)
	for i := range 5 {
		select {
		case r := <-recs:
			if !strings.HasPrefix(r.Line, "tick ") || r.Stream != logfile.Stdout {
				t.Fatalf("record %d = %+v", i, r)
			}
		case <-ctx.Done():
			t.Fatalf("only %d records arrived after the client closed", i)
		}
	}
}
