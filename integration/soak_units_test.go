package integration

import (
	"slices"
	"testing"
	"time"
)

// A leak is reported once, where it appears, and again only when it grows; items in
// the baseline are not leaks.
func TestSoakNewLeaks(t *testing.T) {
	st := newSoakStats()
	base := []string{"rule a"}
	steps := []struct {
		now, want []string
	}{
		{[]string{"rule a"}, nil},
		{[]string{"rule a", "rule b"}, []string{"rule b"}},
		{[]string{"rule b", "rule a"}, nil},
		{[]string{"rule a", "rule b", "rule b"}, []string{"rule b"}},
		{[]string{"rule a", "rule a", "rule b"}, []string{"rule a"}},
	}
	for i, s := range steps {
		if got := st.newLeaks(qIptables, base, s.now); !slices.Equal(got, s.want) {
			t.Errorf("step %d: new leaks %q, want %q", i, got, s.want)
		}
	}
	if n := st.leakCount(qIptables); n != 3 {
		t.Errorf("leak count %d, want 3 (two b, one a)", n)
	}
}

func TestSoakTrends(t *testing.T) {
	s := time.Second
	tests := []struct {
		name  string
		clean []time.Duration
		fds   []int
		fails int
	}{
		{"flat", []time.Duration{4 * s, 5 * s, 4 * s, 4 * s, 5 * s, 4 * s}, []int{30, 45, 31, 30, 60, 32}, 0},
		{"one slow cycle at the end", []time.Duration{4 * s, 4 * s, 4 * s, 4 * s, 4 * s, 4 * s, 4 * s, 9 * s, 4 * s}, nil, 0},
		{"slower", []time.Duration{4 * s, 4 * s, 4 * s, 5 * s, 6 * s, 6 * s}, nil, 1},
		{"descriptor floor rises", nil, []int{30, 31, 36, 40, 45, 50}, 1},
		{"too few samples", []time.Duration{1 * s, 9 * s}, []int{30, 90}, 0},
	}
	for _, tt := range tests {
		st := &soakStats{clean: tt.clean, fds: tt.fds}
		if got := st.trendFailures(); len(got) != tt.fails {
			t.Errorf("%s: %d failure(s) %q, want %d", tt.name, len(got), got, tt.fails)
		}
	}
}

// The chain names were read from iptables-save after an up of project soakexp.
func TestCNIChainNames(t *testing.T) {
	got := cniChainNames("lightshuttle-soakexp", "soakexp_db")
	want := []string{"CNI-666e76bfc70c205db040a972", "CNI-DN-666e76bfc70c205db040a"}
	if !slices.Equal(got, want) {
		t.Errorf("cniChainNames = %q, want %q", got, want)
	}
}
