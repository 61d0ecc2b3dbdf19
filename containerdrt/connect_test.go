package containerdrt

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// docs/spec/runtime.md §0, §17 item 70: an unreachable daemon gives
// `cannot connect to containerd at <address>: <cause>` and matches ErrUnavailable.
func TestConnectUnreachable(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "none.sock")
	for _, addr := range []string{sock, "unix://" + sock} {
		_, err := Connect(context.Background(), Options{Address: addr})
		want := "cannot connect to containerd at " + sock + ": no such file or directory"
		if err == nil || err.Error() != want || !errors.Is(err, ErrUnavailable) {
			t.Errorf("Connect(%q) = %v, want %q wrapping ErrUnavailable", addr, err, want)
		}
	}
}

func TestOptionDefaults(t *testing.T) {
	o := withDefaults(Options{Address: "unix:///x.sock"})
	if o.Address != "/x.sock" || o.Namespace != "lightshuttle" || o.Snapshotter != "overlayfs" ||
		o.DataRoot != "/var/lib/lsctl" || o.Pull != PullMissing || o.LogDriver == "" {
		t.Errorf("defaults = %+v", o)
	}
}
