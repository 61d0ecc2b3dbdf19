package integration

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/manifest"
)

// These tests need no containerd: they check the benchmark's own arithmetic, its
// manifests and its ordering, so that the table it prints can be trusted.

func TestBenchMedian(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		in   []time.Duration
		want time.Duration
	}{
		{"none", nil, 0},
		{"one", []time.Duration{7 * ms}, 7 * ms},
		{"odd, unsorted", []time.Duration{9 * ms, 1 * ms, 5 * ms}, 5 * ms},
		{"even", []time.Duration{4 * ms, 1 * ms, 3 * ms, 2 * ms}, 2500 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			if got := median(tt.in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("median reordered its input: %v", tt.in)
			}
		})
	}
}

// docs/spec/runtime.md §19: up ≤ 1.15 × floor + 100 ms; down of 10 containers ≤ 0.6 s; RSS ≤ 60 MB.
func TestBenchTargets(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		row  benchRow
		want []string
	}{
		{"up met at the limit", benchRow{stack: "flat10", size: 10,
			floorUp: []time.Duration{1000 * ms}, lsctlUp: []time.Duration{1250 * ms},
			lsctlDown: []time.Duration{600 * ms}}, []string{"≤ 1250 ms met", "≤ 600 ms met"}},
		{"up and down missed", benchRow{stack: "flat10", size: 10,
			floorUp: []time.Duration{1000 * ms}, lsctlUp: []time.Duration{1251 * ms},
			lsctlDown: []time.Duration{601 * ms}}, []string{"≤ 1250 ms MISSED", "≤ 600 ms MISSED", "1.25"}},
		{"down missed by the floor too", benchRow{stack: "flat10", size: 10,
			floorUp: []time.Duration{1000 * ms}, lsctlUp: []time.Duration{1000 * ms},
			floorDown: []time.Duration{1000 * ms}, lsctlDown: []time.Duration{900 * ms}},
			[]string{"≤ 600 ms MISSED (floor too: lsctl/floor 0.90)"}},
		{"down target only for 10 containers", benchRow{stack: "chain5", size: 5,
			floorUp: []time.Duration{1000 * ms}, lsctlUp: []time.Duration{1000 * ms},
			lsctlDown: []time.Duration{5 * time.Second}}, []string{"≤ 1250 ms met"}},
		{"rss missed", benchRow{stack: "many50", size: 50, lsctlUp: []time.Duration{3 * time.Second},
			maxRSS: 61 << 10, hwm: 50 << 10}, []string{"61.0 MiB (VmHWM 50.0) ≤ 60 MiB MISSED"}},
		{"rss met", benchRow{stack: "many50", size: 50, maxRSS: 40 << 10}, []string{"40.0 MiB (VmHWM 0.0) ≤ 60 MiB met"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := formatBenchTable([]benchRow{tt.row})
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("table lacks %q:\n%s", w, out)
				}
			}
			if tt.row.size != 10 && downCell(tt.row) != "-" {
				t.Errorf("down target applied to a stack of %d: %q", tt.row.size, downCell(tt.row))
			}
		})
	}
}

func TestLsctlPhases(t *testing.T) {
	ms := time.Millisecond
	lines := []timedLine{
		{40 * ms, "[bflat10] starting 2 resource(s) on lightshuttle-bflat10 (10.213.0.0/24)"},
		{50 * ms, "c1: starting"},
		{300 * ms, "c1: started (container bflat10_c1, 10.0.0.2)"},
		{320 * ms, "c2: started (container bflat10_c2, 10.0.0.3)"},
		{600 * ms, "c1: healthy after 299ms"},
		{700 * ms, "c2: healthy after 1.2s"},
		{710 * ms, "[bflat10] ready: 2 resource(s) in 0.7s"},
	}
	plan, first, healthy := lsctlPhases(lines)
	if plan != 40*ms || first != 300*ms || !slices.Equal(healthy, []time.Duration{299 * ms, 1200 * ms}) {
		t.Errorf("lsctlPhases = %v, %v, %v", plan, first, healthy)
	}
	if at, err := readyAt(lines, "bflat10"); err != nil || at != 710*ms {
		t.Errorf("readyAt = %v, %v", at, err)
	}
	down := []timedLine{{90 * ms, "c2: stopped"}, {120 * ms, "c1: stopped"}, {200 * ms, "[bflat10] network lightshuttle-bflat10 removed"}}
	if got := lastStopped(down); got != 120*ms {
		t.Errorf("lastStopped = %v, want 120ms", got)
	}
	if _, err := readyAt(lines[:3], "bflat10"); err == nil {
		t.Error("readyAt found a ready line in output without one")
	}
}

func TestParseHWM(t *testing.T) {
	tests := []struct {
		status string
		want   int64
	}{
		{"Name:\tlsctl\nVmPeak:\t 900000 kB\nVmHWM:\t   47104 kB\nVmRSS:\t 40000 kB\n", 47104},
		{"Name:\tlsctl\n", 0},
		{"VmHWM:\n", 0},
	}
	for _, tt := range tests {
		if got := parseHWM(tt.status); got != tt.want {
			t.Errorf("parseHWM(%q) = %d, want %d", tt.status, got, tt.want)
		}
	}
}

// The benchmark stacks are what docs/spec/runtime.md §19 names, and lsctl's own validation
// accepts their manifests with the dependencies as declared.
func TestBenchStackManifests(t *testing.T) {
	sizes := map[string]int{"flat10": 10, "chain5": 5, "diamond10": 10}
	for _, st := range append(benchStacks(), rssStack()) {
		t.Run(st.name, func(t *testing.T) {
			if want, ok := sizes[st.name]; ok && st.size() != want {
				t.Errorf("%s has %d resources, want %d", st.name, st.size(), want)
			}
			m, diags := manifest.Decode("lightshuttle.yml", "", []byte(st.manifest("b"+st.name, "localhost/x/busybox:1", []string{"true"})))
			if diags.HasErrors() || m == nil {
				t.Fatalf("manifest rejected: %v", diags)
			}
			for _, r := range m.Resources {
				var got []string
				for _, d := range r.DependsOn {
					got = append(got, d.Value)
				}
				if !slices.Equal(got, st.deps[r.Name]) {
					t.Errorf("%s depends on %v, want %v", r.Name, got, st.deps[r.Name])
				}
				if r.Healthcheck == nil || len(r.Healthcheck.Test) != 2 || r.Healthcheck.Test[1].Value != "true" {
					t.Errorf("%s healthcheck = %+v", r.Name, r.Healthcheck)
				}
			}
		})
	}
	d := diamondStack("diamond10")
	if len(d.dependents()["root"]) != 4 || len(d.dependents()["mid1"]) != 5 || len(d.dependents()["leaf1"]) != 0 {
		t.Errorf("diamond10 dependents = %v", d.dependents())
	}
}

// runGated starts nobody before its waits succeeded, in both directions, and skips
// the resources behind a failure.
func TestRunGated(t *testing.T) {
	for _, st := range benchStacks() {
		for _, dir := range []struct {
			name  string
			waits map[string][]string
		}{{"startup", st.deps}, {"shutdown", st.dependents()}} {
			t.Run(st.name+"/"+dir.name, func(t *testing.T) {
				var mu sync.Mutex
				finished := map[string]bool{}
				err := runGated(st.order, dir.waits, func(res string) error {
					mu.Lock()
					defer mu.Unlock()
					for _, w := range dir.waits[res] {
						if !finished[w] {
							t.Errorf("%s ran before %s finished", res, w)
						}
					}
					finished[res] = true
					return nil
				})
				if err != nil || len(finished) != st.size() {
					t.Errorf("runGated: %v, ran %d of %d", err, len(finished), st.size())
				}
			})
		}
	}
	st := chainStack("chain5", 5)
	var ran []string
	var mu sync.Mutex
	err := runGated(st.order, st.deps, func(res string) error {
		mu.Lock()
		ran = append(ran, res)
		mu.Unlock()
		if res == "c2" {
			return errors.New("boom")
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "c3 skipped: c2 failed") {
		t.Errorf("error = %v", err)
	}
	if !slices.Equal(ran, []string{"c1", "c2"}) {
		t.Errorf("ran %v, want [c1 c2]", ran)
	}
}

// The idle table judges lsctl's own CPU and the stack total of native rows only.
func TestIdleTargets(t *testing.T) {
	window := 10 * time.Second
	rows := []idleRow{
		{mode: "http", window: window, stack: stackCPU{supervisor: 8, logDrivers: 2, containers: 20}},
		{mode: "tcp", window: window, stack: stackCPU{supervisor: 30}},
		{mode: "exec", window: window, stack: stackCPU{supervisor: 50, shims: 900}, execs: 100},
	}
	out := formatIdleTable(rows)
	for _, w := range []string{
		"http: lsctl's own (supervisor + log drivers) 1.00% met; stack total 3.00% MISSED, of which the containers answering 2.00%",
		"tcp: lsctl's own (supervisor + log drivers) 3.00% MISSED; stack total 3.00% MISSED",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("table lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "exec: lsctl's own") {
		t.Errorf("a target judged the exec row:\n%s", out)
	}
}
