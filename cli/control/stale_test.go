package control

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docs/spec/runtime.md §12.9: a socket file nobody listens on (left by an up killed with
// SIGKILL) is removed by the next up, -d included; a live one is never touched.
func TestRemoveStaleSocket(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T, path string)
		wantErr  string
		wantGone bool
	}{
		{"no socket", func(*testing.T, string) {}, "", true},
		{"stale socket", func(t *testing.T, path string) {
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			ln.(*net.UnixListener).SetUnlinkOnClose(false)
			ln.Close()
		}, "", true},
		{"live socket", func(t *testing.T, path string) {
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
		}, "in use by another lsctl up", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "control.sock")
			tt.setup(t, path)
			err := RemoveStaleSocket(path)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("RemoveStaleSocket: %v, want error %q", err, tt.wantErr)
			}
			if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) != tt.wantGone {
				t.Errorf("socket gone = %v, want %v", errors.Is(err, os.ErrNotExist), tt.wantGone)
			}
		})
	}
}
