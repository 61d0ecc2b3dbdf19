package integration

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// processes lists the processes running the built lsctl (a killed up's or down's
// survivors, log drivers `__log-driver`, background supervisors `__supervise`) and the
// containerd shims of the namespace. With settle, each gets until soakSettle has passed
// to exit: the shim reaps log drivers once a container's pipes close, and a shim exits
// after its task was deleted.
func (s *soak) processes(settle bool) (lsctl, shims []string) {
	s.t.Helper()
	deadline := time.Now().Add(soakSettle)
	shimNS := "\x00-namespace\x00" + s.env.Namespace + "\x00"
	for _, pid := range dirNames("/proc") {
		n, err := strconv.Atoi(pid)
		if err != nil {
			continue
		}
		exe, _ := os.Readlink("/proc/" + pid + "/exe")
		cmdline, _ := os.ReadFile("/proc/" + pid + "/cmdline")
		isShim := strings.Contains(string(cmdline), shimNS)
		if exe != s.binary && !isShim {
			continue
		}
		if settle && awaitProcessExit(n, time.Until(deadline)) {
			continue
		}
		line := fmt.Sprintf("pid %s: %s", pid, strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " "))
		if isShim {
			shims = append(shims, line)
		} else {
			lsctl = append(lsctl, line)
		}
	}
	sort.Strings(lsctl)
	sort.Strings(shims)
	return lsctl, shims
}

// bundles lists the task bundles of the namespace in containerd's state directory. A
// task whose delete was cut short keeps its bundle (and often its shim), and the next
// create of that id fails with "already exists".
func (s *soak) bundles() []string {
	var out []string
	for _, id := range dirNames(filepath.Join(s.containerdState, "io.containerd.runtime.v2.task", s.env.Namespace)) {
		out = append(out, "bundle "+id)
	}
	return out
}

var containerdStateLine = regexp.MustCompile(`(?m)^\s*state\s*=\s*"([^"]+)"`)

// containerdStateDir reads the daemon's state directory from the configuration file
// on its command line (integration/provision.sh writes one per flavor).
func containerdStateDir(t *testing.T, pid int) string {
	t.Helper()
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Fatalf("containerd's command line: %v", err)
	}
	args := strings.Split(string(cmdline), "\x00")
	for i, a := range args[:len(args)-1] {
		if a != "--config" && a != "-c" {
			continue
		}
		conf, err := os.ReadFile(args[i+1])
		if err != nil {
			t.Fatalf("containerd's configuration: %v", err)
		}
		if m := containerdStateLine.FindSubmatch(conf); m != nil {
			return string(m[1])
		}
	}
	return "/run/containerd" // containerd's default
}

// awaitProcessExit waits up to timeout for a process that is not this one's child to
// exit, through a pidfd: an exit is an event, no polling of /proc.
func awaitProcessExit(pid int, timeout time.Duration) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return errors.Is(err, unix.ESRCH)
	}
	defer unix.Close(fd)
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left < 0 {
			left = 0
		}
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, int(left.Milliseconds()))
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return false
		}
		return n > 0
	}
}
