package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// systemdDefaultPath is the PATH systemd gives a system service (systemd.exec(5)).
const systemdDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// servicePrint runs `lsctl service print args...` with the given environment and
// returns the unit.
func servicePrint(t *testing.T, bin, manifest string, environ []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-f", manifest, "service", "print"}, args...)...)
	cmd.Env = environ
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("lsctl service print: %v\n%s", err, stderr.String())
	}
	return string(out)
}

// writeServiceManifest writes manifest into a directory whose name needs quoting in a
// unit (a space, "%" and "$"), and returns the manifest's path.
func writeServiceManifest(t *testing.T, manifest string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "my stack 100% $HOME")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "lightshuttle.yml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The unit passes `systemd-analyze verify`, run from an lsctl whose path needs quoting.
// verify checks the syntax, every directive's value and that ExecStart's program is
// executable; only what it says about our unit counts (--recursive-errors=no), since
// containerd.service is not ours to judge.
func TestServiceUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		msg := "systemd-analyze is not installed (Debian package systemd; run: sudo integration/provision.sh install)"
		if harness.MustRun() {
			t.Fatalf("integration prerequisite missing: %s", msg)
		}
		t.Skipf("%s (set LSCTL_INTEGRATION=1 to make this a failure)", msg)
	}
	binDir := filepath.Join(t.TempDir(), "bin dir")
	if err := os.Mkdir(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(binDir, "lsctl")
	if err := os.Link(harness.Binary(t), bin); err != nil {
		t.Fatalf("link lsctl into %s: %v", binDir, err)
	}
	manifest := writeServiceManifest(t, chainManifest("clisvcv", "exec sleep 3600", ""))
	environ := append(os.Environ(), "LSCTL_LOG_DRIVER="+bin, "LSCTL_DATA_ROOT="+filepath.Join(t.TempDir(), "data root"))
	unitDir := t.TempDir()
	for _, args := range [][]string{nil, {"--quiet", "--grace", "1500ms", "--name", "lsctl-x_y.2"}} {
		unit := servicePrint(t, bin, manifest, environ, args...)
		name := "lsctl-clisvcv.service"
		if len(args) > 0 {
			name = "lsctl-x_y.2.service"
		}
		path := filepath.Join(unitDir, name)
		if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(analyze, "verify", "--man=no", "--generators=no", "--recursive-errors=no", path)
		out, err := cmd.CombinedOutput()
		var ours []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, name) {
				ours = append(ours, l)
			}
		}
		if err != nil || len(ours) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s\nunit:\n%s", name, err, out, unit)
		}
	}
}

// docs/spec/runtime.md §12.7 under systemd: the unit's ExecStart, run as systemd would (its
// Environment= only, in WorkingDirectory=, in a session of its own, stdin /dev/null),
// brings the stack up; lsctl then has no child process, so containers, shims and log
// drivers live outside the unit's cgroup; the unit's KillSignal tears the stack down
// in reverse dependency order within TimeoutStopSec, with an exit status the unit
// counts as success, and nothing is left — not even a process of lsctl's session,
// which KillMode=mixed would have to SIGKILL.
func TestServiceExecStartRunsTheStack(t *testing.T) {
	env := harness.Require(t)
	manifest := writeServiceManifest(t, chainManifest("clisvc", "exec sleep 3600", ""))
	dir := filepath.Dir(manifest)
	cliLoadImages(t, env, dir, "busybox")
	unit := parseUnit(t, servicePrint(t, harness.Binary(t), manifest, append(os.Environ(), env.Environ(t)...), "--grace", "5s"))
	cmd := exec.Command(unit.argv[0], unit.argv[1:]...)
	cmd.Dir = unit.workDir
	cmd.Env = append([]string{"PATH=" + systemdDefaultPath}, unit.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	up := startFg(t, env, dir, cmd, false)
	up.await("[clisvc] ready: 3 resource(s)", 2*time.Minute)
	pid := cmd.Process.Pid
	if kids := descendants(t, pid); len(kids) > 0 {
		t.Errorf("lsctl up has child processes once the stack is ready, which systemd would count as the unit's: %v", kids)
	}
	events := subscribeEvents(t, controlSocket(env, "clisvc"))
	stopAt := time.Now()
	up.signal(unit.killSignal)
	got := collectEvents(t, events, unit.stopTimeout)
	code := up.exitCode(unit.stopTimeout)
	if took := up.exitAt.Sub(stopAt); took > unit.stopTimeout {
		t.Errorf("stop took %s, more than TimeoutStopSec %s", took, unit.stopTimeout)
	}
	if code != 130 || !unit.success[code] {
		t.Errorf("exit %d, want 130, listed in SuccessExitStatus %v; output:\n%s", code, unit.success, up.output())
	}
	var stopped []string
	for _, e := range got {
		if e.Type == "resource_stopped" {
			stopped = append(stopped, e.Resource)
		}
	}
	if strings.Join(stopped, ",") != "c,b,a" {
		t.Errorf("resource_stopped order %v, want [c b a]; events %v", stopped, got)
	}
	if !strings.Contains(up.output(), "[clisvc] stopped") {
		t.Errorf("no stopped line:\n%s", up.output())
	}
	if left := sessionMembers(t, pid); len(left) > 0 {
		t.Errorf("processes of lsctl's session outlived it: %v", left)
	}
	assertProjectGone(t, env, "clisvc")
}

// serviceUnitView is what TestServiceExecStartRunsTheStack reads of a unit.
type serviceUnitView struct {
	argv, env   []string
	workDir     string
	killSignal  syscall.Signal
	stopTimeout time.Duration
	success     map[int]bool
}

// parseUnit reads the directives the test needs, by systemd's rules.
func parseUnit(t *testing.T, text string) serviceUnitView {
	t.Helper()
	u := serviceUnitView{success: map[int]bool{0: true}}
	for _, l := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(l, "=")
		if !ok || strings.HasPrefix(l, "#") {
			continue
		}
		switch k {
		case "ExecStart":
			u.argv = unitWords(t, v, true)
		case "Environment":
			u.env = append(u.env, unitWords(t, v, false)...)
		case "WorkingDirectory":
			u.workDir = strings.ReplaceAll(v, "%%", "%")
		case "KillSignal":
			u.killSignal = unix.SignalNum(v)
		case "TimeoutStopSec":
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("TimeoutStopSec=%s: %v", v, err)
			}
			u.stopTimeout = time.Duration(n) * time.Second
		case "SuccessExitStatus":
			for _, f := range strings.Fields(v) {
				n, _ := strconv.Atoi(f)
				u.success[n] = true
			}
		}
	}
	if len(u.argv) == 0 || u.workDir == "" || u.killSignal == 0 || u.stopTimeout == 0 {
		t.Fatalf("unit lacks ExecStart, WorkingDirectory, KillSignal or TimeoutStopSec:\n%s", text)
	}
	return u
}

// cEscapes are the C escapes a unit may use besides an escaped character itself.
var cEscapes = map[rune]rune{'n': '\n', 't': '\t', 's': ' '}

// unitWords splits a setting into words as systemd does (systemd.syntax(7),
// systemd.service(5) "Command lines"): "%%" is "%", double and single quotes group,
// backslash escapes; in a command line "$$" is "$".
func unitWords(t *testing.T, s string, command bool) []string {
	t.Helper()
	s = strings.ReplaceAll(s, "%%", "%")
	var words []string
	var w strings.Builder
	inWord := false
	var quote rune
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '\\' && i+1 < len(rs):
			i++
			if r, ok := cEscapes[rs[i]]; ok {
				w.WriteRune(r)
			} else {
				w.WriteRune(rs[i])
			}
			inWord = true
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote, inWord = c, true
		case quote == 0 && (c == ' ' || c == '\t'):
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
		default:
			w.WriteRune(c)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("unbalanced quote in %q", s)
	}
	if inWord {
		words = append(words, w.String())
	}
	if command {
		for i := range words {
			words[i] = strings.ReplaceAll(words[i], "$$", "$")
		}
	}
	return words
}

// descendants lists the processes below pid, as "pid comm".
func descendants(t *testing.T, pid int) []string {
	t.Helper()
	procs := processTable(t)
	var out []string
	for p, st := range procs {
		for a := st.ppid; a > 1; a = procs[a].ppid {
			if a == pid {
				out = append(out, fmt.Sprintf("%d %s", p, st.comm))
				break
			}
			if _, ok := procs[a]; !ok {
				break
			}
		}
	}
	return out
}

// sessionMembers lists the processes of session sid, as "pid comm".
func sessionMembers(t *testing.T, sid int) []string {
	t.Helper()
	var out []string
	for p, st := range processTable(t) {
		if st.session == sid {
			out = append(out, fmt.Sprintf("%d %s", p, st.comm))
		}
	}
	return out
}

type procStat struct {
	comm          string
	ppid, session int
}

// processTable reads /proc/<pid>/stat of every process.
func processTable(t *testing.T) map[int]procStat {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	procs := map[int]procStat{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses.
		open, end := strings.IndexByte(string(b), '('), strings.LastIndexByte(string(b), ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(string(b[end+1:]))
		if len(f) < 4 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		session, _ := strconv.Atoi(f[3])
		procs[pid] = procStat{comm: string(b[open+1 : end]), ppid: ppid, session: session}
	}
	return procs
}
