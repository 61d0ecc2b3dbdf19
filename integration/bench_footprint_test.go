package integration

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// footprintSizes are the stack sizes of the memory table (issue 16).
var footprintSizes = []int{1, 10, 50}

// footprintRow is what lsctl keeps alive while a stack of size containers runs
// detached: its background supervisor and one log driver per container, in KiB.
type footprintRow struct {
	size                    int
	supervisorRSS, superPSS int64
	driversRSS, driversPSS  int64
	drivers                 int
	upPeakRSS               int64 // wait4's peak of the `up -d` command itself
}

// BenchmarkFootprint is the memory table of issue 16: for 1, 10 and 50 running busybox
// containers (no healthcheck: memory, not probes), the RSS and PSS of every process lsctl
// keeps alive — the background supervisor and the log drivers the shims run — and the
// peak RSS of `up -d`. It prints the table; it asserts no figure (docs/spec/runtime.md §19).
func BenchmarkFootprint(b *testing.B) {
	env := harness.Require(b)
	benchImportBusybox(b, env)
	var rows []footprintRow
	for _, n := range footprintSizes {
		b.Run(fmt.Sprintf("containers=%d", n), func(b *testing.B) {
			row := footprintRow{size: n}
			for i := 0; i < b.N; i++ {
				row = maxFootprint(row, measureFootprint(b, env, n))
			}
			b.ReportMetric(float64(row.driversRSS)/float64(max(row.drivers, 1)), "driver-rss-KiB")
			b.ReportMetric(float64(row.supervisorRSS), "supervisor-rss-KiB")
			rows = append(rows, row)
		})
	}
	b.Logf("footprint benchmark (containerd %s):\n%s", env.Flavor, formatFootprint(rows))
}

// measureFootprint brings a stack of n containers up detached, reads the memory of
// lsctl's processes for env's data root, and downs it.
func measureFootprint(b *testing.B, env *harness.Env, n int) footprintRow {
	b.Helper()
	project := fmt.Sprintf("bfoot%d", n)
	l := benchProject(b, env, project, idleManifest(project, n))
	defer func() { _, _ = l.run(context.Background(), "down") }()
	up, err := l.run(context.Background(), "up", "-d", "--pull", "never")
	if err != nil {
		b.Fatal(err)
	}
	row := footprintRow{size: n, upPeakRSS: up.maxRSS}
	driver := harness.LogDriver(b)
	for _, pid := range lsctlProcessesOf(b, env) {
		rss, pss := residentKiB(pid)
		if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); exe == driver {
			row.drivers++
			row.driversRSS += rss
			row.driversPSS += pss
		} else {
			row.supervisorRSS += rss
			row.superPSS += pss
		}
	}
	if row.drivers != n {
		b.Fatalf("%d log drivers run for %d containers", row.drivers, n)
	}
	return row
}

// idleManifest is n independent busybox containers without healthcheck.
func idleManifest(project string, n int) string {
	var m strings.Builder
	fmt.Fprintf(&m, "project: {name: %s}\nresources:\n", project)
	for i := range n {
		fmt.Fprintf(&m, "  r%02d:\n    container:\n      image: %s\n      command: %s\n", i, harness.ImageRef("busybox"), yamlList(benchCommand))
	}
	return m.String()
}

// lsctlProcessesOf lists the running lsctl and log driver processes that work for
// env's data root (the supervisor's environment names it, a log driver's arguments do).
func lsctlProcessesOf(b *testing.B, env *harness.Env) []int {
	bins := map[string]bool{harness.Binary(b): true, harness.LogDriver(b): true}
	var pids []int
	for _, name := range dirNames("/proc") {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		if exe, _ := os.Readlink("/proc/" + name + "/exe"); !bins[exe] {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + name + "/cmdline")
		environ, _ := os.ReadFile("/proc/" + name + "/environ")
		if bytes.Contains(cmdline, []byte(env.DataRoot)) || bytes.Contains(environ, []byte("LSCTL_DATA_ROOT="+env.DataRoot+"\x00")) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// residentKiB is a process's VmRSS and its proportional set size (Pss of
// smaps_rollup: shared pages divided among the processes sharing them).
func residentKiB(pid int) (rss, pss int64) {
	return procField(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:"), procField(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:")
}

// procField is the number after key in a /proc file of "Key: N kB" lines, or 0.
func procField(path, key string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				n, _ := strconv.ParseInt(fields[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// maxFootprint keeps the larger figure of each column.
func maxFootprint(a, b footprintRow) footprintRow {
	return footprintRow{size: b.size, drivers: b.drivers,
		supervisorRSS: max(a.supervisorRSS, b.supervisorRSS), superPSS: max(a.superPSS, b.superPSS),
		driversRSS: max(a.driversRSS, b.driversRSS), driversPSS: max(a.driversPSS, b.driversPSS),
		upPeakRSS: max(a.upPeakRSS, b.upPeakRSS)}
}

// formatFootprint renders the memory table in MiB.
func formatFootprint(rows []footprintRow) string {
	var out strings.Builder
	w := tabwriter.NewWriter(&out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "containers\tsupervisor RSS / PSS\tlog drivers RSS / PSS\tper container RSS / PSS\tall lsctl per container (PSS)\tpeak RSS of up -d")
	for _, r := range rows {
		n := float64(max(r.drivers, 1))
		fmt.Fprintf(w, "%d\t%s / %s\t%s / %s\t%s / %s\t%s\t%s\n", r.size,
			mib(r.supervisorRSS), mib(r.superPSS), mib(r.driversRSS), mib(r.driversPSS),
			mib(int64(float64(r.driversRSS)/n)), mib(int64(float64(r.driversPSS)/n)),
			mib(int64(float64(r.driversPSS+r.superPSS)/n)), mib(r.upPeakRSS))
	}
	w.Flush()
	return out.String()
}

// mib renders KiB as MiB with one decimal.
func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }
