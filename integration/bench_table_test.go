package integration

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Targets of docs/spec/runtime.md §19 (issue 16 item 2, tightening issue 5's).
const (
	upFactor     = 1.15
	upAllowance  = 100 * time.Millisecond
	downTarget   = 600 * time.Millisecond // for stacks of 10 containers
	rssTargetKiB = 60 << 10
)

// benchRow is what one stack's benchmark measured: a sample per measured run.
type benchRow struct {
	stack     string
	size      int
	floorUp   []time.Duration
	lsctlUp   []time.Duration
	floorDown []time.Duration
	lsctlDown []time.Duration
	// Phases (docs/spec/runtime.md §19 "Report"): floor prepare of all containers, floor probe
	// pass after task start; lsctl up until its "starting N resource(s)" line, until its
	// first "started" line, and its "healthy after" figures.
	floorPrepare  []time.Duration
	floorProbe    []time.Duration
	floorProbeMax []time.Duration
	lsctlPlan     []time.Duration
	lsctlFirst    []time.Duration
	lsctlProbe    []time.Duration
	lsctlProbeMax []time.Duration
	lsctlReady    []time.Duration // the "[p] ready: " line; exit follows it
	lsctlStopped  []time.Duration // down's last "<r>: stopped" line; network teardown follows
	maxRSS        int64           // KiB, wait4 of a foreground up; 0 when not measured
	hwm           int64           // KiB, VmHWM of the same process
}

// slowest of samples; 0 for none.
func slowest(samples []time.Duration) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	return slices.Max(samples)
}

// median of samples; 0 for none.
func median(samples []time.Duration) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// upLimit is the target for lsctl up given the floor: 1.15 × floor + 100 ms.
func upLimit(floor time.Duration) time.Duration {
	return time.Duration(upFactor*float64(floor)) + upAllowance
}

// verdict marks a measured value against its limit.
func verdict[T cmp.Ordered](v, limit T) string {
	if v <= limit {
		return "met"
	}
	return "MISSED"
}

// ms formats a duration in milliseconds, "-" for none.
func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%d ms", d.Round(time.Millisecond).Milliseconds())
}

// formatBenchTable renders the rows as the make bench table: medians, ratio and
// verdicts, then the phase table.
func formatBenchTable(rows []benchRow) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "stack\truns\tfloor up\tlsctl up\tratio\ttarget (1.15×floor+100ms)\tfloor down\tlsctl down\tdown target\tpeak RSS")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.stack, max(len(r.lsctlUp), len(r.floorUp)),
			ms(median(r.floorUp)), ms(median(r.lsctlUp)), ratio(r), upCell(r),
			ms(median(r.floorDown)), ms(median(r.lsctlDown)), downCell(r), rssCell(r))
	}
	_ = w.Flush()
	b.WriteString("\nphases (medians over runs): floor prepare = every task created; probe = task start to first\n" +
		"passing probe, median / slowest container of a run; lsctl times are from exec\n")
	w = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "stack\tfloor prepare\tfloor probe\tlsctl to 'starting N'\tlsctl to first 'started'\tlsctl 'healthy after'\tlsctl to 'ready'\tdown: last 'stopped'")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s / %s\t%s\t%s\t%s / %s\t%s\t%s\n", r.stack, ms(median(r.floorPrepare)),
			ms(median(r.floorProbe)), ms(median(r.floorProbeMax)), ms(median(r.lsctlPlan)),
			ms(median(r.lsctlFirst)), ms(median(r.lsctlProbe)), ms(median(r.lsctlProbeMax)),
			ms(median(r.lsctlReady)), ms(median(r.lsctlStopped)))
	}
	_ = w.Flush()
	return b.String()
}

func ratio(r benchRow) string {
	f, l := median(r.floorUp), median(r.lsctlUp)
	if f == 0 || l == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(l)/float64(f))
}

func upCell(r benchRow) string {
	f, l := median(r.floorUp), median(r.lsctlUp)
	if f == 0 || l == 0 {
		return "-"
	}
	return fmt.Sprintf("≤ %s %s", ms(upLimit(f)), verdict(l, upLimit(f)))
}

// downCell applies the down target to stacks of 10 containers (issue 5).
func downCell(r benchRow) string {
	d := median(r.lsctlDown)
	if r.size != 10 || d == 0 {
		return "-"
	}
	cell := fmt.Sprintf("≤ %s %s", ms(downTarget), verdict(d, downTarget))
	if f := median(r.floorDown); d > downTarget && f > downTarget {
		// The host cannot: the bare client's own down takes longer (§19 "Down cost").
		cell += fmt.Sprintf(" (floor too: lsctl/floor %.2f)", float64(d)/float64(f))
	}
	return cell
}

func rssCell(r benchRow) string {
	if r.maxRSS == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB (VmHWM %.1f) ≤ 60 MiB %s", float64(r.maxRSS)/1024, float64(r.hwm)/1024, verdict(r.maxRSS, rssTargetKiB))
}

// lsctlPhases reads the phase times off a timed `lsctl up` output (docs/spec/runtime.md §16.3
// plain lines): the "[p] starting N resource(s)" line, the first "<r>: started" line,
// and every "<r>: healthy after <d>".
func lsctlPhases(lines []timedLine) (plan, first time.Duration, healthy []time.Duration) {
	for _, l := range lines {
		switch {
		case plan == 0 && strings.HasPrefix(l.text, "[") && strings.Contains(l.text, "] starting "):
			plan = l.at
		case first == 0 && strings.Contains(l.text, ": started"):
			first = l.at
		case strings.Contains(l.text, ": healthy after "):
			_, d, _ := strings.Cut(l.text, ": healthy after ")
			if v, err := time.ParseDuration(strings.TrimSpace(d)); err == nil {
				healthy = append(healthy, v)
			}
		}
	}
	return plan, first, healthy
}

// lastStopped is when down's last "<r>: stopped" line arrived; 0 without one.
func lastStopped(lines []timedLine) time.Duration {
	var at time.Duration
	for _, l := range lines {
		if strings.HasSuffix(l.text, ": stopped") {
			at = l.at
		}
	}
	return at
}
