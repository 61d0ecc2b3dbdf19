package containerdrt

import (
	"strings"
	"syscall"
	"testing"
)

// docs/spec/runtime.md §12.7: SigCgt decides whether the stop signal can be delivered.
func TestSigInMask(t *testing.T) {
	tests := []struct {
		mask string
		sig  int
		want bool
	}{
		{"0000000000000000", 15, false},
		{"0000000000004000", 15, true}, // bit 14 = SIGTERM
		{"0000000000000002", 2, true},  // SIGINT
		{"0000000000004000", 2, false},
		{"zz", 15, true}, // unreadable: assume caught, keep the grace period
	}
	for _, tc := range tests {
		if got := sigInMask(tc.mask, sysSignal(tc.sig)); got != tc.want {
			t.Errorf("sigInMask(%s, %d) = %v", tc.mask, tc.sig, got)
		}
	}
}

func sysSignal(n int) syscall.Signal { return syscall.Signal(n) }

// docs/spec/runtime.md §12.7: runc's init (the program not started yet) counts as not catching.
func TestStatusCatches(t *testing.T) {
	tests := []struct {
		name, status string
		want         bool
	}{
		{"shell with trap", "Name:\tsh\nSigCgt:\t0000000000014002\n", true},
		{"sleep", "Name:\tsleep\nSigCgt:\t0000000000000000\n", false},
		{"runc init", "Name:\trunc:[2:INIT]\nSigCgt:\tfffffffe7fc1feff\n", false},
		{"no SigCgt line", "Name:\tx\n", true},
	}
	for _, tc := range tests {
		if got := statusCatches(strings.NewReader(tc.status), syscall.SIGTERM); got != tc.want {
			t.Errorf("%s: statusCatches = %v, want %v", tc.name, got, tc.want)
		}
	}
}
