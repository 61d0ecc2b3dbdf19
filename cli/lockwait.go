package cli

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// awaitLockHolder waits, up to lockPoll, for the process that holds a busy project
// lock to exit. flock has no notification, but the holder's exit does (a pidfd turns
// readable): down and up then take the lock the moment the owner is gone instead of
// up to a poll interval later, which sat on the critical path of every down. Without
// a pidfd (old kernels, a holder without pid) it just waits the interval.
func awaitLockHolder(ctx context.Context, busy *containerdrt.BusyError) error {
	if busy.PID > 0 {
		if fd, err := unix.PidfdOpen(busy.PID, 0); err == nil {
			defer unix.Close(fd)
			return awaitReadable(ctx, fd, lockPoll)
		} else if errors.Is(err, unix.ESRCH) {
			return nil // gone already: the lock is free or about to be
		}
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(lockPoll):
		return nil
	}
}

// awaitReadable polls fd until it is readable, d has passed or ctx is done, in slices
// short enough to notice ctx.
func awaitReadable(ctx context.Context, fd int, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		wait := min(time.Until(deadline), 20*time.Millisecond)
		if wait <= 0 {
			return nil
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(wait.Milliseconds())+1)
		if n > 0 || (err != nil && !errors.Is(err, unix.EINTR)) {
			return nil
		}
	}
}
