package integration

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// benchLsctl runs the built lsctl on one benchmark project directory.
type benchLsctl struct {
	environ []string // harness.Env.Environ: the test containerd, namespace, data root
	bin     string
	dir     string
	project string
}

// newBenchLsctl writes the stack's manifest for project into a fresh directory.
func newBenchLsctl(b *testing.B, env *harness.Env, st benchStack, project string) *benchLsctl {
	b.Helper()
	return benchProject(b, env, project, st.manifest(project, harness.ImageRef("busybox"), benchProbe()))
}

// benchProject writes manifest into a fresh directory for project; the project is
// downed with its volumes after the benchmark.
func benchProject(b *testing.B, env *harness.Env, project, manifest string) *benchLsctl {
	b.Helper()
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lightshuttle.yml"), []byte(manifest), 0o644); err != nil {
		b.Fatal(err)
	}
	l := &benchLsctl{environ: env.Environ(b), bin: harness.Binary(b), dir: dir, project: project}
	b.Cleanup(func() { _, _ = l.run(context.Background(), "down", "--volumes") })
	return l
}

// timedLine is one output line and when it arrived, from the command's start.
type timedLine struct {
	at   time.Duration
	text string
}

// lsctlResult is one finished lsctl command.
type lsctlResult struct {
	wall   time.Duration
	lines  []timedLine // stdout
	stderr string
	maxRSS int64 // KiB, wait4 rusage (the process or its largest waited-for child)
}

func (l *benchLsctl) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, l.bin, args...)
	cmd.Dir = l.dir
	cmd.Env = append(os.Environ(), l.environ...)
	return cmd
}

// run runs lsctl to completion and times it from exec to exit; a non-zero exit is an
// error carrying the output.
func (l *benchLsctl) run(ctx context.Context, args ...string) (lsctlResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := l.command(ctx, args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		return lsctlResult{}, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return lsctlResult{}, fmt.Errorf("start lsctl %v: %w", args, err)
	}
	lines := readTimed(out, start, nil)
	err = cmd.Wait()
	res := lsctlResult{wall: time.Since(start), lines: lines(), stderr: errb.String(), maxRSS: maxRSS(cmd)}
	if err != nil {
		return res, fmt.Errorf("lsctl %s: %w\n%s%s", strings.Join(args, " "), err, res.output(), res.stderr)
	}
	return res, nil
}

// readTimed collects r's lines with their arrival time; seen, when set, gets each line
// as it arrives. The returned function waits for end of file and gives the lines.
func readTimed(r io.Reader, start time.Time, seen func(string)) func() []timedLine {
	var lines []timedLine
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines = append(lines, timedLine{at: time.Since(start), text: sc.Text()})
			if seen != nil {
				seen(sc.Text())
			}
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	return func() []timedLine { <-done; return lines }
}

func (r lsctlResult) output() string {
	var b strings.Builder
	for _, l := range r.lines {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	return b.String()
}

// maxRSS is the exited command's peak resident set in KiB (Linux reports KiB).
func maxRSS(cmd *exec.Cmd) int64 {
	if cmd.ProcessState == nil {
		return 0
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return 0
}

// foreground runs a foreground `lsctl up` until its ready line, then sends SIGINT and
// waits for its exit 130. It samples VmHWM (the process's own high-water mark, which
// wait4's figure may exceed through a child such as a CNI plugin) while it runs.
func (l *benchLsctl) foreground(project string) (res lsctlResult, hwm int64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := l.command(ctx, "up", "--pull", "never", "--quiet", "--grace", "10s")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		return res, 0, err
	}
	ready := make(chan struct{})
	var once sync.Once
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, 0, fmt.Errorf("start lsctl up: %w", err)
	}
	lines := readTimed(out, start, func(s string) {
		if strings.HasPrefix(s, "["+project+"] ready: ") {
			once.Do(func() { close(ready) })
		}
	})
	stopSampling := sampleHWM(cmd.Process.Pid, &hwm)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-ready:
		_ = cmd.Process.Signal(syscall.SIGINT)
		err = <-exited
	case err = <-exited:
	}
	stopSampling()
	res = lsctlResult{wall: time.Since(start), lines: lines(), stderr: errb.String(), maxRSS: maxRSS(cmd)}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		return res, hwm, fmt.Errorf("foreground up exited %d (%v), want 130 after SIGINT\n%s%s",
			code, err, res.output(), res.stderr)
	}
	return res, hwm, nil
}

// sampleHWM reads /proc/<pid>/status VmHWM every 20 ms into *hwm until stopped.
func sampleHWM(pid int, hwm *int64) (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	path := fmt.Sprintf("/proc/%d/status", pid)
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if v := readHWM(path); v > *hwm {
				*hwm = v
			}
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(quit); <-done }
}

// readHWM returns VmHWM in KiB from a /proc status file, 0 when unreadable.
func readHWM(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return parseHWM(string(b))
}

func parseHWM(status string) int64 {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				return 0
			}
			n, _ := strconv.ParseInt(f[0], 10, 64)
			return n
		}
	}
	return 0
}
