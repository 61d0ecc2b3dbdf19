package cli

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// `lsctl version` names the cause of an unreachable containerd, found with errors.As
// even when the error is wrapped, and keeps other errors' first line.
func TestUnreachableCause(t *testing.T) {
	ue := &containerdrt.UnavailableError{Address: "/run/x.sock", Cause: syscall.ECONNREFUSED}
	for _, tt := range []struct {
		err  error
		want string
	}{
		{ue, "connection refused"},
		{fmt.Errorf("connect: %w", ue), "connection refused"},
		{&containerdrt.UnavailableError{Address: "/a", Cause: errors.New("dial: timeout\nmore")}, "dial: timeout"},
		{errors.New("something else: detail\nsecond line"), "something else: detail"},
	} {
		if got := unreachableCause(tt.err).Error(); got != tt.want {
			t.Errorf("unreachableCause(%q) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
