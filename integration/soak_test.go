package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// Soak settings (issue 11 item 6). The integration suite runs soakCIcycles cycles;
// `make soak` sets SOAK_CYCLES (100 by default). SOAK_SEED replays the kill points.
const (
	soakCIcycles = 10
	// soakCmdTimeout bounds one lsctl command: a hung up or down fails the soak.
	soakCmdTimeout = 3 * time.Minute
	// soakSettle bounds the wait for lsctl processes (log drivers) to exit after a
	// down returned: the shim reaps them once the containers' pipes close.
	soakSettle = 10 * time.Second
)

// soakResources are the stack's resources: postgres, a password-protected redis, and
// two busybox containers, app depending on the three others.
var soakResources = []string{"db", "cache", "worker", "app"}

// soakManifest is the soak stack. Every resource has a healthcheck with a fast start
// interval, so a clean up is short and a kill at a random point lands in every step.
// The busybox processes stop on SIGTERM, so down exercises the graceful path.
func soakManifest(project string) string {
	bb := harness.ImageRef("busybox")
	loop := `"trap 'exit 0' TERM; while :; do sleep 1; done"`
	fast := "interval: 1s, start_interval: 100ms"
	return fmt.Sprintf(`lightshuttle: v0
project:
  name: %[1]s
resources:
  db:
    postgres:
      image: %[2]s
      healthcheck: {%[5]s}
  cache:
    redis:
      image: %[3]s
      password: soakpass
      healthcheck: {%[5]s}
  worker:
    container:
      image: %[4]s
      command: %[6]s
      healthcheck: {test: ["CMD", "true"], %[5]s}
  app:
    container:
      image: %[4]s
      env:
        DATABASE_URL: ${resources.db.url}
        REDIS_URL: ${resources.cache.url}
      command: %[6]s
      depends_on: [worker]
      healthcheck: {test: ["CMD-SHELL", "ping -c1 -W1 db >/dev/null && ping -c1 -W1 cache >/dev/null"], %[5]s}
`, project, harness.ImageRef("postgres"), harness.ImageRef("redis"), bb, fast, loop)
}

// soak drives the cycles of TestSoak and keeps what the table reports.
type soak struct {
	t       *testing.T
	env     *harness.Env
	dir     string // the manifest's directory
	project string
	seed    int64
	rng     *rand.Rand
	cycles  int
	// subnets are the /24 prefixes ("10.214.8.") the project was given, for the
	// iptables audit: some rules name container addresses only (soak.iptablesRules).
	subnets       map[string]bool
	binary        string // the built lsctl, symlinks resolved: /proc/<pid>/exe names it so
	containerdPID int
	// containerdState is the daemon's state directory (task bundles).
	containerdState string
	client          *containerd.Client
	ctx             context.Context // in the test's namespace
	// lastUp and lastDown are this cycle's clean durations: the kill points' ranges.
	lastUp, lastDown time.Duration
	baseline         soakAudit
	stats            *soakStats
	// noSupervisor is set once up -d named no background supervisor: phase (d) is
	// then reported once and skipped.
	noSupervisor bool
}

// TestSoak is issue 11 item 6: cycles of up -d/down of a postgres, redis and busybox
// stack, with lsctl killed (SIGKILL) at random points of up, of down and of the
// background supervisor, each followed by down. After every phase the host and
// containerd must be back at the baseline taken before the first cycle; at the end,
// neither the clean cycle's time nor containerd's descriptors may grow. The table
// (logged at the end, also on failure) is what `make soak` prints.
func TestSoak(t *testing.T) {
	s := newSoak(t)
	cliLoadImages(t, s.env, s.dir, "postgres", "redis", "busybox")
	s.baseline = s.audit(false)
	s.stats.setBaseline(s.baseline)
	defer func() { t.Log("\n" + s.stats.table(s)) }()
	for cycle := 1; cycle <= s.cycles; cycle++ {
		s.phaseClean(cycle)
		s.phaseKillUp(cycle)
		s.phaseKillDown(cycle)
		s.phaseKillSupervisor(cycle)
	}
	s.stats.checkTrends(t)
}

func newSoak(t *testing.T) *soak {
	t.Helper()
	env := harness.Require(t)
	cycles := soakCIcycles
	if v := os.Getenv("SOAK_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("SOAK_CYCLES=%q: want a positive number of cycles", v)
		}
		cycles = n
	}
	seed := time.Now().UnixNano()
	if v := os.Getenv("SOAK_SEED"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("SOAK_SEED=%q: want an integer", v)
		}
		seed = n
	}
	t.Logf("soak: %d cycle(s), seed %d (SOAK_SEED=%d replays the kill points)", cycles, seed, seed)
	// Bridge names and CNI rule comments are host-wide: the project name is the test's own.
	project := "soak-" + strings.TrimPrefix(env.Namespace, "lsctl-it-")
	s := &soak{
		t: t, env: env, dir: cliWriteManifest(t, soakManifest(project)), project: project,
		seed: seed, rng: rand.New(rand.NewSource(seed)), cycles: cycles,
		subnets: map[string]bool{}, binary: resolvedBinary(t), containerdPID: containerdPID(t, env),
		stats: newSoakStats(),
	}
	s.client, s.ctx = ctrClient(t, env)
	s.containerdState = containerdStateDir(t, s.containerdPID)
	t.Cleanup(func() {
		s.lsctl(-1, "down", "--volumes", "--grace", "3s")
		s.removeDebris()
	})
	return s
}

// removeDebris removes what a leak left that the harness's cleanup of the namespace
// cannot: shims whose task containerd forgot (a cut-short delete), the probe FIFO
// directories, and the namespace's netns directory once empty. The daemon and /run are
// shared by every test run on the host.
func (s *soak) removeDebris() {
	_, shims := s.processes(false)
	for _, shim := range shims {
		var pid int
		if _, err := fmt.Sscanf(shim, "pid %d:", &pid); err == nil && syscall.Kill(pid, syscall.SIGKILL) == nil {
			awaitProcessExit(pid, soakSettle)
			s.t.Logf("soak cleanup: killed the orphaned %s", shim)
		}
	}
	_ = os.RemoveAll(filepath.Join("/run/lsctl/exec", s.env.Namespace))
	_ = os.Remove(filepath.Join("/run/lsctl/netns", s.env.Namespace)) // pins are mounts: never RemoveAll
}

// resolvedBinary is the built lsctl's absolute path with symlinks resolved.
func resolvedBinary(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(harness.Binary(t))
	if err == nil {
		p, err = filepath.EvalSymlinks(p)
	}
	if err != nil {
		t.Fatalf("lsctl binary: %v", err)
	}
	return p
}

// containerdPID reads the test daemon's pid from the file provision.sh writes beside
// its socket.
func containerdPID(t testing.TB, env *harness.Env) int {
	t.Helper()
	path := filepath.Join(filepath.Dir(env.Address), "containerd.pid")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("containerd pid file (written by integration/provision.sh start): %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || syscall.Kill(pid, 0) != nil {
		t.Fatalf("containerd pid file %s names %q, not a running process", path, b)
	}
	return pid
}

// soakResult is one lsctl command of the soak.
type soakResult struct {
	args   []string
	code   int // -1 when killed
	out    string
	dur    time.Duration
	killed bool // SIGKILL arrived before it exited
}

func (r soakResult) String() string {
	return fmt.Sprintf("lsctl %s: exit %d after %s\n%s", strings.Join(r.args, " "), r.code,
		r.dur.Round(time.Millisecond), r.out)
}

// lsctl runs the built lsctl in the soak's directory; with killAfter >= 0 it sends
// SIGKILL that long after the start, unless the command exited first.
func (s *soak) lsctl(killAfter time.Duration, args ...string) soakResult {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), soakCmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, harness.Binary(s.t), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), s.env.Environ(s.t)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// A CNI plugin that lsctl started keeps the output pipe open after lsctl is killed.
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start lsctl %v: %v", args, err)
	}
	if killAfter >= 0 {
		timer := time.AfterFunc(killAfter, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		defer timer.Stop()
	}
	err := cmd.Wait()
	r := soakResult{args: args, out: out.String(), dur: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		ws, ok := ee.Sys().(syscall.WaitStatus)
		r.killed = ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
	case err != nil && !errors.Is(err, exec.ErrWaitDelay):
		s.t.Fatalf("run lsctl %v: %v\n%s", args, err, out.String())
	}
	s.noteSubnet(r.out)
	return r
}

var soakSubnetLine = regexp.MustCompile(`\] starting \d+ resource\(s\) on \S+ \((\d+\.\d+\.\d+\.)0/24\)`)

// noteSubnet records the subnet that up names in its first line (docs/spec/runtime.md §16.3).
func (s *soak) noteSubnet(out string) {
	if m := soakSubnetLine.FindStringSubmatch(out); m != nil {
		s.subnets[m[1]] = true
	}
}

// up runs a clean up -d, which must succeed: without a ready stack the phase cannot
// kill what it is about.
func (s *soak) up(phase string) soakResult {
	s.t.Helper()
	r := s.lsctl(-1, "up", "-d", "--pull", "never")
	if r.code != 0 || !strings.Contains(r.out, "["+s.project+"] ready: 4 resource(s) in ") {
		s.t.Fatalf("%s: %s", phase, r)
	}
	return r
}

// down runs down --volumes, which must succeed. --volumes, so that every phase ends at
// the baseline: a postgres killed in the middle of its first initialisation would
// otherwise leave a half-made data directory that the next start refuses. A grace of
// 3 s: postgres in the middle of that initialisation (a killed up leaves it so) does
// not stop on SIGINT, as with the official image, and the default 10 s would make
// waiting for it most of the soak's time; every other resource stops at once.
func (s *soak) down(phase string, killAfter time.Duration) soakResult {
	s.t.Helper()
	r := s.lsctl(killAfter, "down", "--volumes", "--grace", "3s")
	if !r.killed && r.code != 0 {
		s.t.Errorf("%s: %s", phase, r)
	}
	return r
}

// randomPoint is a delay within [0, d): a kill at a random point of a command whose
// clean run took d.
func (s *soak) randomPoint(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(s.rng.Int63n(int64(d)))
}
