package integration

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"syscall"
	"time"
)

// The steps of a cycle, as the table names them.
const (
	stepCleanUp    = "(a) up -d"
	stepCleanDown  = "(a) down"
	stepKilledUp   = "(b) up -d, SIGKILL at a random point"
	stepDownAfterB = "(b) down"
	stepUpC        = "(c) up -d"
	stepKilledDown = "(c) down, SIGKILL at a random point"
	stepDownAgain  = "(c) down again"
	stepUpD        = "(d) up -d"
	stepKilledSup  = "(d) supervisor up, SIGKILL at a random point"
	stepDownAfterD = "(d) down"
)

// phaseClean is (a): a clean up -d then down. Its durations are the clean cycle time
// the growth rule watches, and the ranges the kill points of (b), (c) and (d) are
// drawn from. In the first cycle it also checks that the audit sees the running stack.
func (s *soak) phaseClean(cycle int) {
	up := s.up(fmt.Sprintf("cycle %d, %s", cycle, stepCleanUp))
	if cycle == 1 {
		s.assertAuditSeesStack()
	}
	down := s.down(fmt.Sprintf("cycle %d, %s", cycle, stepCleanDown), -1)
	s.stats.add(stepCleanUp, up)
	s.stats.add(stepCleanDown, down)
	s.stats.clean = append(s.stats.clean, up.dur+down.dur)
	s.lastUp, s.lastDown = up.dur, down.dur
	s.check(cycle, fmt.Sprintf("cycle %d, (a) clean up -d and down", cycle))
}

// phaseKillUp is (b): up -d killed with SIGKILL at a random point of a clean up's
// duration, then down.
func (s *soak) phaseKillUp(cycle int) {
	at := s.randomPoint(s.lastUp)
	where := fmt.Sprintf("cycle %d, (b) up -d killed after %s, then down", cycle, at.Round(time.Millisecond))
	up := s.lsctl(at, "up", "-d", "--pull", "never")
	if !up.killed && up.code != 0 {
		s.t.Errorf("%s: up -d failed before the kill: %s", where, up)
	}
	s.stats.add(stepKilledUp, up)
	s.stats.add(stepDownAfterB, s.down(where, -1))
	s.check(cycle, where)
}

// phaseKillDown is (c): up -d, then down killed with SIGKILL at a random point of a
// clean down's duration, then down again.
func (s *soak) phaseKillDown(cycle int) {
	at := s.randomPoint(s.lastDown)
	where := fmt.Sprintf("cycle %d, (c) down killed after %s, then down", cycle, at.Round(time.Millisecond))
	s.stats.add(stepUpC, s.up(where))
	s.stats.add(stepKilledDown, s.down(where, at))
	s.stats.add(stepDownAgain, s.down(where, -1))
	s.check(cycle, where)
}

// soakSupervisorLine is the line up -d prints once it left the stack to a background
// supervisor (issue 11 item 1).
var soakSupervisorLine = regexp.MustCompile(`\] supervised in the background \(pid (\d+), log ([^)]+)\)`)

// phaseKillSupervisor is (d): up -d, then its background supervisor killed with
// SIGKILL at a random point of a clean up's duration after up -d returned, then down.
// Without the line naming the supervisor, (d) fails once and is skipped from then on.
func (s *soak) phaseKillSupervisor(cycle int) {
	if s.noSupervisor {
		return
	}
	at := s.randomPoint(s.lastUp)
	up := s.up(fmt.Sprintf("cycle %d, %s", cycle, stepUpD))
	s.stats.add(stepUpD, up)
	where := fmt.Sprintf("cycle %d, (d) supervisor killed %s after up -d, then down", cycle, at.Round(time.Millisecond))
	if m := soakSupervisorLine.FindStringSubmatch(up.out); m != nil {
		s.stats.add(stepKilledSup, s.killSupervisor(where, m[1], at))
	} else {
		s.noSupervisor = true
		where = fmt.Sprintf("cycle %d, (d) up -d, then down", cycle)
		s.t.Errorf("%s: up -d printed no line `[%s] supervised in the background (pid N, log PATH)`, "+
			"so there is no background supervisor to kill: phase (d) needs issue 11 item 1 (up -d leaves "+
			"the stack to `lsctl __supervise`); phases (a)-(c) go on without it\n%s", where, s.project, up)
	}
	s.stats.add(stepDownAfterD, s.down(where, -1))
	s.check(cycle, where)
}

// killSupervisor sends SIGKILL to the supervisor at pid (after checking that it is
// this soak's lsctl) once delay passed, and waits for it to be gone.
func (s *soak) killSupervisor(where, pidText string, delay time.Duration) soakResult {
	s.t.Helper()
	pid, _ := strconv.Atoi(pidText)
	r := soakResult{args: []string{"__supervise", "(pid " + pidText + ")"}, code: -1}
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err != nil || exe != s.binary {
		s.t.Errorf("%s: the supervisor pid %d is not a running %s (exe %q, %v)", where, pid, s.binary, exe, err)
		return r
	}
	time.Sleep(delay) // the random point in the supervisor's life: nothing to await
	start := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		s.t.Errorf("%s: kill -9 the supervisor (pid %d): %v", where, pid, err)
		return r
	}
	if !awaitProcessExit(pid, soakSettle) {
		s.t.Errorf("%s: the supervisor (pid %d) is still there %s after SIGKILL", where, pid, soakSettle)
	}
	r.dur, r.killed = delay+time.Since(start), true
	return r
}

// check audits after a phase: everything must be back at the baseline.
func (s *soak) check(cycle int, where string) {
	s.t.Helper()
	for _, leak := range s.stats.record(s.baseline, s.audit(true), where) {
		s.t.Error(leak)
	}
	s.stats.cycles = cycle
}

// assertAuditSeesStack checks that, while the stack runs, every audited quantity is
// above the baseline, proof that the audits after down look in the right places; but
// leases and probe FIFOs, which exist only while a container is created or probed.
func (s *soak) assertAuditSeesStack() {
	s.t.Helper()
	running := s.audit(false)
	for _, q := range soakQuantities {
		if q != qLeases && q != qProbeFIFOs && len(running.items[q]) <= len(s.baseline.items[q]) {
			s.t.Errorf("while the stack runs, the audit finds no more %s than the baseline (%d): "+
				"the checks after down would prove nothing", q, len(s.baseline.items[q]))
		}
	}
}
