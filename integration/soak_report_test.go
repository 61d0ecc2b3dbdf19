package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"
)

// Trend rules, applied to full runs at the end (see checkTrends).
const (
	// soakTimeGrowth is the largest accepted growth of the clean cycle's time, median
	// of the last third of the cycles against median of the first third.
	soakTimeGrowth = 0.25
	// soakFDSlack is the largest accepted rise of containerd's descriptor floor, lowest
	// count in the last third of the audits against lowest in the first third.
	soakFDSlack = 10
	// soakShownItems caps the items one leak message lists.
	soakShownItems = 8
)

// soakStats is what the table reports: step durations, audit maxima and leaks.
type soakStats struct {
	steps     []string // in first-seen order
	durations map[string][]time.Duration
	killed    map[string]int
	clean     []time.Duration // (a) up + down, per cycle
	cycles    int             // cycles whose phases all ran
	baseline  map[string]int
	maxSeen   map[string]int
	// leaked counts, per quantity and item, the occurrences above the baseline already
	// reported, so a leak is named once, where it appeared, and again only if it grows.
	leaked    map[string]map[string]int
	firstLeak map[string]string
	baseFDs   int
	fds       []int // after each phase
}

func newSoakStats() *soakStats {
	return &soakStats{durations: map[string][]time.Duration{}, killed: map[string]int{},
		baseline: map[string]int{}, maxSeen: map[string]int{}, leaked: map[string]map[string]int{},
		firstLeak: map[string]string{}}
}

// add records one step's duration and whether SIGKILL ended it.
func (st *soakStats) add(step string, r soakResult) {
	if _, ok := st.durations[step]; !ok {
		st.steps = append(st.steps, step)
	}
	st.durations[step] = append(st.durations[step], r.dur)
	if r.killed {
		st.killed[step]++
	}
}

// record compares an audit after a phase with the baseline and returns one message
// per quantity with new leaks, naming the phase and the items.
func (st *soakStats) record(base, now soakAudit, where string) []string {
	st.fds = append(st.fds, now.fds)
	var msgs []string
	for _, q := range soakQuantities {
		st.maxSeen[q] = max(st.maxSeen[q], len(now.items[q]))
		if fresh := st.newLeaks(q, base.items[q], now.items[q]); len(fresh) > 0 {
			if _, ok := st.firstLeak[q]; !ok {
				st.firstLeak[q] = where
			}
			msgs = append(msgs, fmt.Sprintf("%s: leaked %d %s (not in the baseline before the first cycle):\n\t%s",
				where, len(fresh), q, strings.Join(capItems(fresh), "\n\t")))
		}
	}
	return msgs
}

// newLeaks returns the items of now above their count in base that were not reported
// yet, and counts them as reported.
func (st *soakStats) newLeaks(q string, base, now []string) []string {
	if st.leaked[q] == nil {
		st.leaked[q] = map[string]int{}
	}
	count := map[string]int{}
	for _, it := range base {
		count[it]--
	}
	var fresh []string
	for _, it := range now {
		count[it]++
		if count[it] > st.leaked[q][it] {
			st.leaked[q][it] = count[it]
			fresh = append(fresh, it)
		}
	}
	return fresh
}

func capItems(items []string) []string {
	if len(items) <= soakShownItems {
		return items
	}
	return append(slices.Clone(items[:soakShownItems]), fmt.Sprintf("… and %d more", len(items)-soakShownItems))
}

func (st *soakStats) leakCount(q string) int {
	n := 0
	for _, c := range st.leaked[q] {
		n += c
	}
	return n
}

// thirds returns the first and the last third of samples (a third is at least one
// sample); ok is false below three samples, where a trend means nothing.
func thirds[T any](samples []T) (first, last []T, ok bool) {
	n := len(samples) / 3
	if n == 0 {
		return nil, nil, false
	}
	return samples[:n], samples[len(samples)-n:], true
}

// timeGrowth is the clean cycle's growth: median of the last third of the cycles over
// the median of the first third, minus one. Medians, so that one slow cycle (a busy
// host) does not decide; thirds, so that a slow-down that builds up shows.
func (st *soakStats) timeGrowth() (first, last time.Duration, growth float64, ok bool) {
	f, l, ok := thirds(st.clean)
	if !ok {
		return 0, 0, 0, false
	}
	first, last = median(f), median(l)
	return first, last, float64(last)/float64(first) - 1, true
}

// fdFloors are the lowest descriptor counts of containerd in the first and the last
// third of the audits. A floor, not a median: other clients of the daemon only ever add
// descriptors for a while, whereas a leak raises the lowest count too, a little more
// with every phase. soakFDSlack absorbs the daemon's own caches.
func (st *soakStats) fdFloors() (first, last int, ok bool) {
	f, l, ok := thirds(st.fds)
	if !ok {
		return 0, 0, false
	}
	return slices.Min(f), slices.Min(l), true
}

// checkTrends fails the test when the clean cycle slowed down by more than
// soakTimeGrowth or containerd's descriptor floor rose by more than soakFDSlack.
func (st *soakStats) checkTrends(t *testing.T) {
	t.Helper()
	for _, msg := range st.trendFailures() {
		t.Error(msg)
	}
}

func (st *soakStats) trendFailures() []string {
	var msgs []string
	if first, last, growth, ok := st.timeGrowth(); ok && growth > soakTimeGrowth {
		msgs = append(msgs, fmt.Sprintf("the clean cycle (up -d + down) slowed down by %.0f%%: median %s over the "+
			"first third of the cycles, %s over the last third (limit +%.0f%%)", 100*growth,
			first.Round(time.Millisecond), last.Round(time.Millisecond), 100*soakTimeGrowth))
	}
	if first, last, ok := st.fdFloors(); ok && last-first > soakFDSlack {
		msgs = append(msgs, fmt.Sprintf("containerd's open descriptors grow: lowest count %d over the first third "+
			"of the audits, %d over the last third (limit +%d): a client connection, stream or shim is not released",
			first, last, soakFDSlack))
	}
	return msgs
}

// table renders the soak's report: the steps, the audits, and the trends.
func (st *soakStats) table(s *soak) string {
	var b strings.Builder
	fmt.Fprintf(&b, "soak table: %d of %d cycle(s) complete, seed %d; stack: db (postgres), cache (redis, password), "+
		"worker and app (busybox, app depends on all); every phase ends with down --volumes\n\n", st.cycles, s.cycles, s.seed)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "step\truns\tkilled\tp50\tmax")
	for _, step := range st.steps {
		d := st.durations[step]
		killed := "-"
		if strings.Contains(step, "SIGKILL") {
			killed = fmt.Sprintf("%d (%d exited first)", st.killed[step], len(d)-st.killed[step])
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\n", step, len(d), killed, secs(median(d)), secs(slowest(d)))
	}
	w.Flush()
	if s.noSupervisor {
		b.WriteString("(d) the supervisor was never killed: up -d names no background supervisor (issue 11 item 1)\n")
	}
	b.WriteString("\n")
	w = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "audited after each phase\tbaseline\tmax seen\tleaked\tfirst leak")
	for _, q := range soakQuantities {
		first := st.firstLeak[q]
		if first == "" {
			first = "-"
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s\n", q, st.baseline[q], st.maxSeen[q], st.leakCount(q), first)
	}
	st.trendRows(w)
	w.Flush()
	b.WriteString("soak: end of table\n")
	return b.String()
}

// setBaseline keeps the baseline's sizes for the table.
func (st *soakStats) setBaseline(a soakAudit) {
	for _, q := range soakQuantities {
		st.baseline[q] = len(a.items[q])
	}
	st.baseFDs = a.fds
}

// trendRows adds the descriptor and the cycle time rows with their verdicts.
func (st *soakStats) trendRows(w *tabwriter.Writer) {
	maxFDs := st.baseFDs
	if len(st.fds) > 0 {
		maxFDs = max(maxFDs, slices.Max(st.fds))
	}
	fdTrend := "too few audits for a trend"
	if first, last, ok := st.fdFloors(); ok {
		fdTrend = fmt.Sprintf("floor %d → %d (limit +%d): %s", first, last, soakFDSlack, okOrNot(last-first <= soakFDSlack))
	}
	fmt.Fprintf(w, "containerd open fds\t%d\t%d\t-\t%s\n", st.baseFDs, maxFDs, fdTrend)
	timeTrend := "too few cycles for a trend"
	if first, last, growth, ok := st.timeGrowth(); ok {
		timeTrend = fmt.Sprintf("p50 first third %s, last third %s: %+.0f%% (limit +%.0f%%): %s", secs(first), secs(last),
			100*growth, 100*soakTimeGrowth, okOrNot(growth <= soakTimeGrowth))
	}
	fmt.Fprintf(w, "clean cycle (up -d + down)\t-\t%s\t-\t%s\n", secs(slowest(st.clean)), timeTrend)
}

func okOrNot(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAILED"
}

// secs formats a duration in seconds with two decimals, "-" for none.
func secs(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}
