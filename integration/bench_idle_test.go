package integration

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// Idle-stack CPU benchmark (issue 16 item 3, docs/spec/runtime.md §19).
const (
	idleResources = 20 // LSCTL_BENCH_IDLE_RESOURCES changes it
	// idleTargetCore is the target for 20 resources probed natively every second: 2 % of
	// one core.
	idleTargetCore = 0.02
	// userHZ is the kernel's USER_HZ, the unit of /proc CPU times (100 on Linux).
	userHZ = 100
)

// idleCommand serves /www over HTTP on 8080 with busybox httpd, so that every probe
// kind has something to check, and stops on SIGTERM.
const idleCommand = "trap 'exit 0' TERM; mkdir -p /www && echo ok > /www/ready; httpd -f -p 8080 -h /www & wait"

// idleMode is what one row's resources run and how they are probed.
type idleMode struct {
	server string // what answers the probes, for the table
	image  string // "": harness's busybox
	check  string // the healthcheck's probe fields
	native bool   // probed from the host: the target applies
}

// idleModes are the rows LSCTL_BENCH_IDLE_MODES can pick. http and tcp probe a plain
// net/http server, as most services are; httpd probes busybox httpd, which forks a
// process for every connection and so bills a fork per probe to the container.
var idleModes = map[string]idleMode{
	"http":  {server: "net/http", image: probeServerRef, check: "http: {port: 8080, path: /ready}", native: true},
	"tcp":   {server: "net/http", image: probeServerRef, check: "tcp: 8080", native: true},
	"httpd": {server: "busybox httpd", check: "http: {port: 8080, path: /ready}", native: true},
	"exec":  {server: "busybox httpd", check: `test: ["CMD", "test", "-f", "/www/ready"]`},
	"none":  {server: "busybox httpd", check: `test: ["NONE"]`},
}

// idleRow is one idle window's CPU, in clock ticks over window.
type idleRow struct {
	mode                   string
	window                 time.Duration
	machine, containerdCPU uint64
	stack                  stackCPU
	split                  execSplit
	execs                  int
}

// stackCPU is a stack's CPU by owner, in clock ticks, every process counted once
// (exec probes aside: see formatIdleTable).
type stackCPU struct {
	supervisor    uint64 // the background supervisor, with what it reaped
	supervisorSys uint64 // the kernel's share of supervisor's own time
	logDrivers    uint64 // lsctl's process per container
	shims         uint64 // containerd's shims and what they reaped: runc, runc init, exec'd probes
	containers    uint64 // the namespace's cgroup: the containers' processes, all their children
}

// BenchmarkIdleProbeCPU measures the CPU of an idle stack of 20 resources whose
// healthchecks run every second, one row per mode of idleModes (LSCTL_BENCH_IDLE_MODES,
// by default http, tcp, httpd and exec), after a baseline window with no stack. It
// samples /proc and the cgroups over LSCTL_BENCH_IDLE_WINDOW (10s by default): the whole
// machine, the background supervisor, lsctl's log drivers, the namespace's shims with
// what they reaped, the containers' cgroup and the containerd daemon. The machine is
// shared, so the whole-machine and containerd figures include others' load; the others
// do not. It never fails on a missed target.
func BenchmarkIdleProbeCPU(b *testing.B) {
	env := benchEnv(b)
	window := idleWindow(b)
	execs := countExecs(b, env)
	rows := []idleRow{idleMeasure(b, env, "baseline", window, 0, execs)}
	modes := []string{"http", "tcp", "httpd", "exec"}
	if v := os.Getenv("LSCTL_BENCH_IDLE_MODES"); v != "" {
		modes = strings.Fields(v)
	}
	for _, mode := range modes {
		l := newIdleStack(b, env, mode)
		res, err := l.run(context.Background(), "up", "-d", "--pull", "never")
		if err != nil {
			b.Fatal(err)
		}
		m := supervisedLine.FindStringSubmatch(res.output())
		if m == nil {
			b.Fatalf("up -d names no background supervisor:\n%s", res.output())
		}
		pid, _ := strconv.Atoi(m[2])
		rows = append(rows, idleMeasure(b, env, mode, window, pid, execs))
		if _, err := l.run(context.Background(), "down"); err != nil {
			b.Fatal(err)
		}
	}
	for _, r := range rows[1:] {
		b.ReportMetric(100*r.stackCore(), r.mode+"-%core")
		b.ReportMetric(100*r.lsctlCore(), r.mode+"-lsctl-%core")
		if r.execs > 0 {
			b.ReportMetric(r.msPerExec(r.stack.supervisor+r.stack.logDrivers+r.stack.shims), r.mode+"-stack-ms/exec")
		}
	}
	b.Logf("idle-stack CPU benchmark (%d resources, probes every 1s, containerd %s):\n%s",
		idleCount(b), env.Flavor, formatIdleTable(rows)+formatExecSplit(rows))
}

// idleWindow is LSCTL_BENCH_IDLE_WINDOW, 10s by default.
func idleWindow(b *testing.B) time.Duration {
	v := os.Getenv("LSCTL_BENCH_IDLE_WINDOW")
	if v == "" {
		return 10 * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		b.Fatalf("LSCTL_BENCH_IDLE_WINDOW=%q: want a positive duration such as 10s", v)
	}
	return d
}

// idleCount is LSCTL_BENCH_IDLE_RESOURCES, idleResources by default: fewer resources
// keep a 2-core machine below saturation when exec probes are measured, which would
// otherwise inflate each probe's cost with contention.
func idleCount(b *testing.B) int {
	v := os.Getenv("LSCTL_BENCH_IDLE_RESOURCES")
	if v == "" {
		return idleResources
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("LSCTL_BENCH_IDLE_RESOURCES=%q: want a positive count such as 5", v)
	}
	return n
}

// newIdleStack writes the manifest of mode's resources, and loads its image when
// that is not one of the harness's.
func newIdleStack(b *testing.B, env *harness.Env, mode string) *benchLsctl {
	b.Helper()
	im, ok := idleModes[mode]
	if !ok {
		b.Fatalf("LSCTL_BENCH_IDLE_MODES: unknown mode %q: want http, tcp, httpd, exec or none", mode)
	}
	project := "bidle" + mode
	var m strings.Builder
	fmt.Fprintf(&m, "project:\n  name: %s\nresources:\n", project)
	for i := 1; i <= idleCount(b); i++ {
		if im.image == "" {
			fmt.Fprintf(&m, "  c%d:\n    container:\n      image: %s\n      command: %s\n", i, harness.ImageRef("busybox"), yamlList([]string{"sh", "-c", idleCommand}))
		} else {
			fmt.Fprintf(&m, "  c%d:\n    container:\n      image: %s\n", i, im.image)
		}
		fmt.Fprintf(&m, "      healthcheck: {%s, interval: 1s, timeout: 1s, retries: 30, start_period: 0s}\n", im.check)
	}
	l := benchProject(b, env, project, m.String())
	if im.image == probeServerRef {
		if _, err := l.run(context.Background(), "images", "load", probeServerArchive(b)); err != nil {
			b.Fatal(err)
		}
	}
	return l
}

// idleMeasure samples CPU at the start and end of window.
func idleMeasure(b *testing.B, env *harness.Env, mode string, window time.Duration, supervisor int, ec *execCounter) idleRow {
	b.Helper()
	daemon := containerdPID(b, env)
	before, execs0 := takeCPUSample(env, supervisor, daemon), ec.total()
	time.Sleep(window) // the measurement itself: an idle window
	after := takeCPUSample(env, supervisor, daemon)
	return idleRow{mode: mode, window: window, machine: after.machine - before.machine,
		stack: after.stack.minus(before.stack), containerdCPU: delta(before.containerd, after.containerd),
		split: after.split.minus(before.split), execs: ec.total() - execs0}
}

// delta is after - before, 0 when a process restarted in between.
func delta(before, after uint64) uint64 {
	if after < before {
		return 0
	}
	return after - before
}

// cpuSample holds cumulative CPU times in clock ticks.
type cpuSample struct {
	machine, containerd uint64
	stack               stackCPU
	split               execSplit
}

// takeCPUSample reads the machine's busy time and the processes' cumulative times.
func takeCPUSample(env *harness.Env, supervisor, daemon int) cpuSample {
	s := cpuSample{machine: machineBusy()}
	if supervisor > 0 {
		s.stack.supervisor = processCPU(supervisor)
		if f := statFields(supervisor); len(f) > 12 {
			s.stack.supervisorSys, _ = strconv.ParseUint(f[12], 10, 64) // stime
		}
	}
	if daemon > 0 {
		s.containerd = processCPU(daemon)
	}
	for _, pid := range shimTrees(env.Namespace) {
		switch {
		case inNamespaceCgroup(pid, env.Namespace): // counted whole by the cgroup below
		case isLogDriver(pid):
			s.stack.logDrivers += processCPU(pid)
		default:
			s.stack.shims += processCPU(pid)
		}
	}
	s.split = takeExecSplit(env.Namespace)
	// The cgroup also holds what /proc's children times miss: children that the
	// containers' processes reap themselves or leave to be auto-reaped (busybox httpd).
	s.stack.containers = s.split.cgroup * userHZ / uint64(time.Second)
	return s
}

// minus is s - before, field by field (0 where a counter went back).
func (s stackCPU) minus(before stackCPU) stackCPU {
	return stackCPU{
		supervisor: delta(before.supervisor, s.supervisor), supervisorSys: delta(before.supervisorSys, s.supervisorSys),
		logDrivers: delta(before.logDrivers, s.logDrivers), shims: delta(before.shims, s.shims),
		containers: delta(before.containers, s.containers),
	}
}

// isLogDriver reports whether pid is one of lsctl's log drivers (the dedicated binary
// or `lsctl __log-driver`).
func isLogDriver(pid int) bool {
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.Contains(string(cmdline), "log-driver")
}

// machineBusy is the whole machine's non-idle time from /proc/stat.
func machineBusy() uint64 {
	data, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var busy uint64
	for i, v := range f {
		if n, err := strconv.ParseUint(v, 10, 64); err == nil && i >= 1 && i <= 8 && i != 4 && i != 5 {
			busy += n
		}
	}
	return busy
}

// processCPU is utime + stime + cutime + cstime of pid: its own time and that of its
// reaped children (an exec probe's runc and process are reaped by the shim).
func processCPU(pid int) uint64 {
	f := statFields(pid)
	if len(f) < 15 {
		return 0
	}
	var sum uint64
	for _, v := range f[11:15] { // fields 14-17 of proc(5), counted after "comm)"
		n, _ := strconv.ParseUint(v, 10, 64)
		sum += n
	}
	return sum
}

// statFields is /proc/<pid>/stat after "comm)": state, ppid, ...
func statFields(pid int) []string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	return strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
}

// shimTrees lists the namespace's shims and all their descendants.
func shimTrees(namespace string) []int {
	children := map[int][]int{}
	for _, name := range dirNames("/proc") {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		if f := statFields(pid); len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			children[ppid] = append(children[ppid], pid)
		}
	}
	roots := shimPIDs(namespace)
	var out []int
	for len(roots) > 0 {
		pid := roots[0]
		roots = append(roots[1:], children[pid]...)
		out = append(out, pid)
	}
	return out
}

// core converts ticks over the row's window to a fraction of one core.
func (r idleRow) core(ticks uint64) float64 {
	return float64(ticks) / userHZ / r.window.Seconds()
}

// stackCore is what the stack's own processes cost: lsctl, its log drivers, the
// shims and the containers. The shared containerd daemon is reported beside it: its
// figure mixes in others' load.
func (r idleRow) stackCore() float64 {
	return r.core(r.stack.supervisor + r.stack.logDrivers + r.stack.shims + r.stack.containers)
}

// lsctlCore is what lsctl's own processes cost: the supervisor and its log drivers.
func (r idleRow) lsctlCore() float64 { return r.core(r.stack.supervisor + r.stack.logDrivers) }

// formatIdleTable renders the rows as percentages of one core, and the verdicts.
func formatIdleTable(rows []idleRow) string {
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "probes\tanswered by\twindow\tmachine\tlsctl\t(lsctl kernel)\tlog drivers\tshims+runc\tcontainers\tcontainerd*\tstack total\texecs/s\t")
	for _, r := range rows {
		st := r.stack
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t\n", r.mode, idleModes[r.mode].server, r.window,
			pct(r.core(r.machine)), pct(r.core(st.supervisor)), pct(r.core(st.supervisorSys)), pct(r.core(st.logDrivers)),
			pct(r.core(st.shims)), pct(r.core(st.containers)), pct(r.core(r.containerdCPU)), pct(r.stackCore()),
			float64(r.execs)/r.window.Seconds())
	}
	w.Flush()
	sb.WriteString("percentages of one core; machine = whole-machine busy time (all cores, others' load included);\n" +
		"lsctl = the background supervisor; log drivers = lsctl's process per container; shims+runc = containerd's\n" +
		"shims and what they reaped (runc, and for exec probes runc init and the probe); containers = the namespace's\n" +
		"cgroup: the containers' processes and every child they fork (an exec probe's late runc init and the probe\n" +
		"too, which exec rows therefore count twice); stack total = lsctl + log drivers + shims+runc + containers;\n" +
		"* the containerd daemon is shared with other tests and not in the total.\n")
	for _, r := range rows {
		if idleModes[r.mode].native {
			fmt.Fprintf(&sb, "Target <= %s of one core, %s: lsctl's own (supervisor + log drivers) %s %s; stack total %s %s, of which the containers answering %s\n",
				pct(idleTargetCore), r.mode, pct(r.lsctlCore()), verdict(r.lsctlCore(), idleTargetCore), pct(r.stackCore()), verdict(r.stackCore(), idleTargetCore), pct(r.core(r.stack.containers)))
		}
	}
	return sb.String()
}

// pct renders a fraction of one core as a percentage.
func pct(f float64) string { return fmt.Sprintf("%.2f%%", 100*f) }
