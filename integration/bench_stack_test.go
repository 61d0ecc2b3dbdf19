package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// BenchmarkRealStack is the real-stack benchmark of docs/architecture.md testing pyramid item 4
// and docs/spec/runtime.md §19 (issue 5): for flat10, chain5 and diamond10, `lsctl up -d` until
// it exits and `lsctl down`, against the floor — the same containers through the bare
// containerd client (stackFloor) — alternating in the same run; then the peak RSS of a
// foreground `lsctl up` holding 50 resources. It prints the table of medians with the
// verdict of each target; it never fails on a missed target (docs/spec/runtime.md §19: targets
// are measured, not asserted). Run it with -benchtime=Nx: N measured runs per stack,
// after the one-run pass that the testing package makes first (the warm-up).
func BenchmarkRealStack(b *testing.B) {
	env := benchEnv(b)
	fl := newStackFloor(b, env, "lsbench-floor")
	rows := map[string]*benchRow{}
	var names []string
	for _, st := range benchStacks() {
		names = append(names, st.name)
		b.Run(st.name, func(b *testing.B) { rows[st.name] = benchStackRuns(b, env, fl, st) })
	}
	names = append(names, "many50")
	b.Run("many50", func(b *testing.B) { rows["many50"] = benchPeakRSS(b, env) })
	var table []benchRow
	for _, n := range names {
		if r := rows[n]; r != nil {
			table = append(table, *r)
		}
	}
	b.Logf("real-stack benchmark (probe %v, containerd %s):\n%s", benchProbe(), env.Flavor, formatBenchTable(table))
}

// benchEnv is a fresh test environment with the busybox image imported.
func benchEnv(b *testing.B) *harness.Env {
	env := harness.Require(b)
	// lsctl leaves its per-namespace netns and exec directories, empty, behind.
	b.Cleanup(func() {
		_ = os.Remove(filepath.Join("/run/lsctl/netns", env.Namespace))
		_ = os.Remove(filepath.Join("/run/lsctl/exec", env.Namespace))
	})
	benchImportBusybox(b, env)
	return env
}

// benchImportBusybox imports and unpacks the busybox test image into env's namespace.
func benchImportBusybox(b *testing.B, env *harness.Env) {
	b.Helper()
	c, err := containerd.New(env.Address)
	if err != nil {
		b.Fatalf("connect to %s: %v", env.Address, err)
	}
	defer c.Close()
	env.ImportImage(b, namespaces.WithNamespace(context.Background(), env.Namespace), c, "busybox")
}

// floorRuns numbers floor runs so that container ids never repeat in a process.
var floorRuns int

// benchStackRuns measures b.N runs of one stack, floor and lsctl alternating which goes
// first, and reports the medians as metrics.
func benchStackRuns(b *testing.B, env *harness.Env, fl *stackFloor, st benchStack) *benchRow {
	project := "b" + st.name
	l := newBenchLsctl(b, env, st, project)
	row := &benchRow{stack: st.name, size: st.size()}
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			benchFloorOnce(b, fl, st, row)
			benchLsctlOnce(b, l, row)
		} else {
			benchLsctlOnce(b, l, row)
			benchFloorOnce(b, fl, st, row)
		}
	}
	b.ReportMetric(float64(median(row.lsctlUp).Nanoseconds()), "ns/op")
	b.ReportMetric(float64(median(row.floorUp).Milliseconds()), "floor-up-ms")
	b.ReportMetric(float64(median(row.lsctlUp).Milliseconds()), "lsctl-up-ms")
	b.ReportMetric(float64(median(row.lsctlUp))/float64(median(row.floorUp)), "up-ratio")
	b.ReportMetric(float64(median(row.lsctlDown).Milliseconds()), "lsctl-down-ms")
	return row
}

// benchFloorOnce starts and stops the stack through the bare client.
func benchFloorOnce(b *testing.B, fl *stackFloor, st benchStack, row *benchRow) {
	b.Helper()
	floorRuns++
	start := time.Now()
	run, err := fl.up(st, floorRuns)
	up := time.Since(start)
	start = time.Now()
	derr := fl.down(run)
	down := time.Since(start)
	if err != nil || derr != nil {
		b.Fatalf("floor %s: up: %v; down: %v", st.name, err, derr)
	}
	row.floorUp = append(row.floorUp, up)
	row.floorDown = append(row.floorDown, down)
	row.floorPrepare = append(row.floorPrepare, run.prepared)
	row.floorProbe = append(row.floorProbe, median(run.probes))
	row.floorProbeMax = append(row.floorProbeMax, slowest(run.probes))
}

// benchLsctlOnce runs `lsctl up -d` and `lsctl down`, each timed from exec to exit.
func benchLsctlOnce(b *testing.B, l *benchLsctl, row *benchRow) {
	b.Helper()
	up, err := l.run(context.Background(), "up", "-d", "--pull", "never")
	if err != nil {
		_, _ = l.run(context.Background(), "down")
		b.Fatal(err)
	}
	down, err := l.run(context.Background(), "down")
	if err != nil {
		b.Fatal(err)
	}
	row.lsctlUp = append(row.lsctlUp, up.wall)
	row.lsctlDown = append(row.lsctlDown, down.wall)
	row.lsctlStopped = append(row.lsctlStopped, lastStopped(down.lines))
	plan, first, healthy := lsctlPhases(up.lines)
	row.lsctlPlan = append(row.lsctlPlan, plan)
	row.lsctlFirst = append(row.lsctlFirst, first)
	row.lsctlProbe = append(row.lsctlProbe, median(healthy))
	row.lsctlProbeMax = append(row.lsctlProbeMax, slowest(healthy))
	if ready, err := readyAt(up.lines, l.project); err == nil {
		row.lsctlReady = append(row.lsctlReady, ready)
	}
}

// benchPeakRSS runs a foreground `lsctl up` of 50 independent resources b.N times until
// ready, stops it with SIGINT, and keeps the highest peak RSS (docs/spec/runtime.md §19).
func benchPeakRSS(b *testing.B, env *harness.Env) *benchRow {
	st := rssStack()
	l := newBenchLsctl(b, env, st, "bmany50")
	row := &benchRow{stack: st.name, size: st.size()}
	for i := 0; i < b.N; i++ {
		res, hwm, err := l.foreground("bmany50")
		if err != nil {
			b.Fatal(err)
		}
		ready, _ := readyAt(res.lines, "bmany50")
		row.lsctlUp = append(row.lsctlUp, ready)
		row.maxRSS = max(row.maxRSS, res.maxRSS)
		row.hwm = max(row.hwm, hwm)
	}
	b.ReportMetric(float64(row.maxRSS)/1024, "peak-rss-MiB")
	b.ReportMetric(float64(row.hwm)/1024, "vmhwm-MiB")
	b.ReportMetric(float64(median(row.lsctlUp).Nanoseconds()), "ns/op")
	return row
}

// readyAt is when the "[project] ready: " line arrived.
func readyAt(lines []timedLine, project string) (time.Duration, error) {
	prefix := "[" + project + "] ready: "
	for _, l := range lines {
		if len(l.text) >= len(prefix) && l.text[:len(prefix)] == prefix {
			return l.at, nil
		}
	}
	return 0, fmt.Errorf("no %q line", prefix)
}
