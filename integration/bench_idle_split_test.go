package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// execSplit divides the CPU below a namespace's shims, in nanoseconds, so that the idle
// benchmark can say where an exec probe's CPU goes (issue 16 item 3): the shims' own
// time; what they reaped, which is every runc they ran, each runc init and the probe
// command it became (an exec'd process is reparented to the shim, its subreaper); and the
// namespace's cpuacct cgroup, which runc init joins before it becomes the probe, so it
// holds the late part of runc init, the probe itself and the containers' own processes.
type execSplit struct{ shimOwn, shimReaped, cgroup uint64 }

// takeExecSplit reads the cumulative times of namespace's shims and cgroup.
func takeExecSplit(namespace string) execSplit {
	var s execSplit
	for _, pid := range shimPIDs(namespace) {
		f := statFields(pid)
		if len(f) < 15 {
			continue
		}
		s.shimOwn += ticksNS(f[11]) + ticksNS(f[12])    // utime, stime
		s.shimReaped += ticksNS(f[13]) + ticksNS(f[14]) // cutime, cstime
	}
	s.cgroup = namespaceCgroupNS(namespace)
	return s
}

// namespaceCgroupNS is the CPU time, in nanoseconds, of every process that ran in the
// namespace's containers: containerd's default spec puts each one in the cgroup
// /<namespace>/<id>, whose parent sums them (cgroup v1's cpuacct or v2's cpu.stat).
func namespaceCgroupNS(namespace string) uint64 {
	if data, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/cpuacct", namespace, "cpuacct.usage")); err == nil {
		n, _ := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
		return n
	}
	data, _ := os.ReadFile(filepath.Join("/sys/fs/cgroup", namespace, "cpu.stat"))
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "usage_usec "); ok {
			n, _ := strconv.ParseUint(v, 10, 64)
			return n * 1000
		}
	}
	return 0
}

// inNamespaceCgroup reports whether pid runs in one of the namespace's containers.
func inNamespaceCgroup(pid int, namespace string) bool {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	return strings.Contains(string(data), ":/"+namespace+"/")
}

// minus is s - before, field by field (0 where a counter went back).
func (s execSplit) minus(before execSplit) execSplit {
	return execSplit{delta(before.shimOwn, s.shimOwn), delta(before.shimReaped, s.shimReaped), delta(before.cgroup, s.cgroup)}
}

// ticksNS converts a /proc clock-tick count to nanoseconds.
func ticksNS(v string) uint64 {
	n, _ := strconv.ParseUint(v, 10, 64)
	return n * uint64(time.Second/userHZ)
}

// shimPIDs lists namespace's shim processes (the roots of shimTrees).
func shimPIDs(namespace string) []int {
	shimNS := "\x00-namespace\x00" + namespace + "\x00"
	var out []int
	for _, name := range dirNames("/proc") {
		if pid, err := strconv.Atoi(name); err == nil {
			if cmdline, _ := os.ReadFile("/proc/" + name + "/cmdline"); strings.Contains(string(cmdline), shimNS) {
				out = append(out, pid)
			}
		}
	}
	return out
}

// msPerExec converts ticks over the row's window to milliseconds per exec.
func (r idleRow) msPerExec(ticks uint64) float64 {
	return float64(ticks) * 1000 / userHZ / float64(r.execs)
}

// formatExecSplit renders, for each row with execs, the CPU per exec by process: the
// figures include what the stack costs without probes (compare the "none" mode).
func formatExecSplit(rows []idleRow) string {
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "ms CPU per exec\tlsctl\tcontainerd*\tshims (own)\trunc+init+probe (reaped)\tof which in container cgroup\tstack total\t")
	any := false
	for _, r := range rows {
		if r.execs == 0 {
			continue
		}
		any = true
		ms := func(ns uint64) string { return fmt.Sprintf("%.1f", float64(ns)/1e6/float64(r.execs)) }
		fmt.Fprintf(w, "%s\t%.1f\t%.1f\t%s\t%s\t%s\t%.1f\t\n", r.mode, r.msPerExec(r.stack.supervisor), r.msPerExec(r.containerdCPU),
			ms(r.split.shimOwn), ms(r.split.shimReaped), ms(r.split.cgroup), r.msPerExec(r.stack.supervisor+r.stack.shims+r.stack.logDrivers))
	}
	w.Flush()
	if !any {
		return ""
	}
	return sb.String() + "runc+init+probe = the shims' reaped children; the container cgroup holds runc init after it joins, the probe and the containers' idle processes.\n"
}
