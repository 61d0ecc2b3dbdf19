package cli

import (
	"context"
	"errors"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// startSleeper starts a process that outlives the test unless killed, and its pidfd.
func startSleeper(t *testing.T) (*exec.Cmd, int) {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	fd, err := unix.PidfdOpen(cmd.Process.Pid, 0)
	if err != nil {
		t.Fatalf("pidfd_open: %v (lsctl then polls; this test needs Linux 5.3 or later)", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return cmd, fd
}

// The lock holder's exit ends the wait at once, long before its bound.
func TestAwaitReadableEndsAtHolderExit(t *testing.T) {
	cmd, fd := startSleeper(t)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- awaitReadable(context.Background(), fd, time.Minute) }()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still waiting %s after the holder was killed", time.Since(start))
	}
}

// A cancelled wait reports the cancellation while the holder still runs.
func TestAwaitReadableCancelled(t *testing.T) {
	_, fd := startSleeper(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := awaitReadable(ctx, fd, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// A holder that is gone already needs no wait at all.
func TestAwaitLockHolderGone(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a wait would report this
	if err := awaitLockHolder(ctx, &containerdrt.BusyError{PID: cmd.Process.Pid}); err != nil {
		t.Fatalf("err = %v, want nil for a holder that has exited", err)
	}
}
