package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/api/services/tasks/v1"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// cliWriteManifest writes manifest into a fresh directory and returns it.
func cliWriteManifest(t *testing.T, manifest string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lightshuttle.yml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fgUp is a foreground `lsctl up` whose output is collected as it arrives.
type fgUp struct {
	t       *testing.T
	cmd     *exec.Cmd
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // receives a token after each read, capacity 1
	exited  chan struct{} // closed once the process was reaped and its output read
	waitErr error
	exitAt  time.Time
	ptmx    *os.File // the terminal's controlling side when up runs on one
}

// ptyEnd is written to the terminal after up exited: up's output ends where it appears.
const ptyEnd = "\x00lsctl-test-end\x00"

// startFgUp starts `lsctl up args...` in dir, on a pseudo-terminal when tty is set (as
// a developer runs it), else with stdout and stderr on one pipe.
func startFgUp(t *testing.T, env *harness.Env, dir string, tty bool, args ...string) *fgUp {
	t.Helper()
	return startFgLsctl(t, env, dir, tty, append([]string{"up"}, args...)...)
}

// startFgLsctl starts `lsctl args...` in dir like startFgUp: any command that runs on.
func startFgLsctl(t *testing.T, env *harness.Env, dir string, tty bool, args ...string) *fgUp {
	t.Helper()
	cmd := exec.Command(harness.Binary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env.Environ(t)...)
	return startFg(t, env, dir, cmd, tty)
}

// startFg starts cmd, a foreground up the caller prepared (program, arguments,
// directory, environment), as startFgUp does; `lsctl down` in dir cleans up after it.
func startFg(t *testing.T, env *harness.Env, dir string, cmd *exec.Cmd, tty bool) *fgUp {
	t.Helper()
	u := &fgUp{t: t, cmd: cmd, changed: make(chan struct{}, 1), exited: make(chan struct{})}
	out, term := u.start(tty)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		u.copy(out)
	}()
	go func() {
		u.waitErr = cmd.Wait()
		u.exitAt = time.Now()
		if term != nil {
			// The test keeps the terminal open, so reading it never fails with EIO
			// (which can lose the last output); the marker ends the reading instead.
			_, _ = term.WriteString(ptyEnd)
		}
		<-copied
		close(u.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-u.exited:
		default:
			_ = cmd.Process.Kill()
			<-u.exited
		}
		if t.Failed() {
			t.Logf("output of lsctl up:\n%s", u.output())
		}
		out.Close()
		if term != nil {
			term.Close()
		}
		cliRun(t, env, dir, "down")
	})
	return u
}

// start starts the process and returns what to read its output from, and on a
// terminal the terminal itself.
func (u *fgUp) start(tty bool) (out, term *os.File) {
	t := u.t
	t.Helper()
	if tty {
		ptmx, tt, err := pty.Open()
		if err != nil {
			t.Fatalf("open a pty: %v", err)
		}
		_ = pty.Setsize(ptmx, &pty.Winsize{Rows: 50, Cols: 160})
		// Ctrl-C must not flush output not read yet: the test reads all of it.
		if tio, err := unix.IoctlGetTermios(int(tt.Fd()), unix.TCGETS); err == nil {
			tio.Lflag |= unix.NOFLSH
			_ = unix.IoctlSetTermios(int(tt.Fd()), unix.TCSETS, tio)
		}
		u.cmd.Stdin, u.cmd.Stdout, u.cmd.Stderr = tt, tt, tt
		u.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
		if err := u.cmd.Start(); err != nil {
			t.Fatalf("start up in a pty: %v", err)
		}
		u.ptmx = ptmx
		return ptmx, tt
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	u.cmd.Stdout, u.cmd.Stderr = w, w
	if err := u.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return r, nil
}

// copy collects output until end of file or the terminal's end marker.
func (u *fgUp) copy(r *os.File) {
	b := make([]byte, 4096)
	for {
		n, err := r.Read(b)
		end := false
		if n > 0 {
			u.mu.Lock()
			u.buf.Write(b[:n])
			if i := bytes.Index(u.buf.Bytes(), []byte(ptyEnd)); i >= 0 {
				u.buf.Truncate(i)
				end = true
			}
			u.mu.Unlock()
			select {
			case u.changed <- struct{}{}:
			default:
			}
		}
		if end || err != nil {
			return
		}
	}
}

var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// output is everything up printed so far, without terminal escapes and carriage returns.
func (u *fgUp) output() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return strings.ReplaceAll(ansiEscape.ReplaceAllString(u.buf.String(), ""), "\r", "")
}

// await fails the test unless up prints want within timeout.
func (u *fgUp) await(want string, timeout time.Duration) {
	u.t.Helper()
	deadline := time.After(timeout)
	for !strings.Contains(u.output(), want) {
		select {
		case <-u.changed:
		case <-u.exited:
			if !strings.Contains(u.output(), want) {
				u.t.Fatalf("up exited (%v) before printing %q; output:\n%s", u.waitErr, want, u.output())
			}
		case <-deadline:
			u.t.Fatalf("up did not print %q within %s; output:\n%s", want, timeout, u.output())
		}
	}
}

// interrupt types Ctrl-C on up's terminal: the kernel sends SIGINT to the whole
// foreground process group, children that up runs included, as for a developer.
func (u *fgUp) interrupt() {
	u.t.Helper()
	if u.ptmx == nil {
		u.t.Fatal("interrupt needs up on a terminal")
	}
	if _, err := u.ptmx.Write([]byte{0x03}); err != nil {
		u.t.Fatalf("type Ctrl-C: %v", err)
	}
}

func (u *fgUp) signal(sig syscall.Signal) {
	u.t.Helper()
	if err := u.cmd.Process.Signal(sig); err != nil {
		u.t.Fatalf("signal up: %v", err)
	}
}

// exitCode waits up to timeout for up to exit and returns its exit code.
func (u *fgUp) exitCode(timeout time.Duration) int {
	u.t.Helper()
	select {
	case <-u.exited:
	case <-time.After(timeout):
		u.t.Fatalf("up did not exit within %s; output:\n%s", timeout, u.output())
	}
	var ee *exec.ExitError
	if errors.As(u.waitErr, &ee) {
		return ee.ExitCode()
	}
	if u.waitErr != nil {
		u.t.Fatalf("wait for up: %v", u.waitErr)
	}
	return 0
}

// controlSocket is the path of a project's control API socket (docs/spec/runtime.md §15.1).
func controlSocket(env *harness.Env, project string) string {
	return filepath.Join(plan.ProjectDir(env.DataRoot, project), "control.sock")
}

// controlClient is an HTTP client that talks to the control API on sock.
func controlClient(sock string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
}

// apiEvent is the part of an event envelope (docs/spec/runtime.md §13.1) the tests read.
type apiEvent struct {
	Type     string `json:"type"`
	Resource string `json:"resource"`
	Error    string `json:"error"`
	ExitCode *int   `json:"exit_code"`
}

// subscribeEvents opens GET /api/events; once it returns, every later event arrives on
// the channel (docs/spec/runtime.md §15.3), which closes when the stream ends.
func subscribeEvents(t *testing.T, sock string) <-chan apiEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://lsctl/api/events", nil)
	resp, err := controlClient(sock).Do(req)
	if err != nil {
		t.Fatalf("GET /api/events: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/events: %s", resp.Status)
	}
	ch := make(chan apiEvent, 256)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var e apiEvent
			if json.Unmarshal([]byte(data), &e) == nil {
				ch <- e
			}
		}
	}()
	return ch
}

// collectEvents gathers events until the stream ends (after stack_stopped), failing
// the test if that takes longer than timeout.
func collectEvents(t *testing.T, ch <-chan apiEvent, timeout time.Duration) []apiEvent {
	t.Helper()
	var got []apiEvent
	deadline := time.After(timeout)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				return got
			}
			got = append(got, e)
		case <-deadline:
			t.Fatalf("event stream did not end within %s; got %v", timeout, got)
		}
	}
}

// awaitEvent waits for an event of type typ for resource and returns it, failing
// after timeout.
func awaitEvent(t *testing.T, ch <-chan apiEvent, typ, resource string, timeout time.Duration) apiEvent {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("event stream ended before %s of %q", typ, resource)
			}
			if e.Type == typ && e.Resource == resource {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s of %q within %s", typ, resource, timeout)
		}
	}
}

// awaitFile waits until path exists, failing after timeout. Polled: the socket is
// created by another process, and there is nothing to subscribe to before it exists.
func awaitFile(t *testing.T, path string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %s", path, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ctrClient connects to the test containerd in env's namespace.
func ctrClient(t testing.TB, env *harness.Env) (*containerd.Client, context.Context) {
	t.Helper()
	c, err := containerd.New(env.Address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, namespaces.WithNamespace(context.Background(), env.Namespace)
}

// assertProjectGone checks that no container, task, network record or bridge of the
// project is left (docs/spec/runtime.md §12.3, §12.7).
func assertProjectGone(t *testing.T, env *harness.Env, project string) {
	t.Helper()
	c, ctx := ctrClient(t, env)
	if ctrs, err := c.Containers(ctx, `labels."lightshuttle.project"==`+project); err != nil || len(ctrs) != 0 {
		t.Errorf("%d containers of project %s left (%v)", len(ctrs), project, err)
	}
	// The namespace is this test's own: any task in it is a leftover.
	if resp, err := c.TaskService().List(ctx, &tasks.ListTasksRequest{}); err != nil || len(resp.Tasks) != 0 {
		t.Errorf("tasks left in the namespace: %v (%v)", resp.GetTasks(), err)
	}
	network := "lightshuttle-" + project
	if _, err := os.Stat(filepath.Join(env.DataRoot, "networks", network+".json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("network record of %s: %v, want it removed", network, err)
	}
	if _, err := net.InterfaceByName(plan.BridgeName(network)); err == nil {
		t.Errorf("bridge %s still exists", plan.BridgeName(network))
	}
	rules, err := exec.Command("iptables-save").Output()
	if err != nil {
		t.Fatalf("iptables-save: %v", err)
	}
	for _, line := range strings.Split(string(rules), "\n") {
		if strings.Contains(line, plan.BridgeName(network)) || strings.Contains(line, `"`+network+`"`) ||
			strings.Contains(line, project+"_") {
			t.Errorf("iptables rule of the project left: %s", line)
		}
	}
	cache := filepath.Join(env.DataRoot, "cni", "cache")
	_ = filepath.WalkDir(cache, func(path string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.Contains(filepath.Base(path), project+"_") {
			t.Errorf("CNI cache entry left: %s", path)
		}
		return nil
	})
}

// taskPID is the PID of container id's running task; the test fails without one.
func taskPID(t *testing.T, c *containerd.Client, ctx context.Context, id string) uint32 {
	t.Helper()
	ctr, err := c.LoadContainer(ctx, id)
	if err != nil {
		t.Fatalf("load container %s: %v", id, err)
	}
	task, err := ctr.Task(ctx, nil)
	if err != nil {
		t.Fatalf("task of %s: %v", id, err)
	}
	return task.Pid()
}
