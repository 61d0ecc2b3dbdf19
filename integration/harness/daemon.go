package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// Daemon is a second, private containerd that a test stops and starts again: tests of
// containerd restarts must never touch the test daemon other tests share. It is run by
// integration/provision.sh (start-containerd, stop) with its own run and lib
// directories, and its flavor is the shared daemon's (Env.Flavor).
type Daemon struct {
	t      testing.TB
	Name   string
	Flavor string
	RunDir string // socket, pid file and task state
	LibDir string // root, config and log
}

// Address is the daemon's socket.
func (d *Daemon) Address() string { return filepath.Join(d.RunDir, "containerd.sock") }

// RequireDaemon starts a private containerd called name (unique per test: it names
// the directories /run/lsctl-<name>-<pid> and /var/lib/lsctl-<name>-<pid>) and returns an Env on
// it. After the test, the Env is cleaned up while the daemon still runs, then the
// daemon is stopped with every task it ran, and its directories are removed.
func RequireDaemon(t testing.TB, name string) (*Env, *Daemon) {
	t.Helper()
	if err := probe(); err != nil {
		unavailable(t, "test containerd at %s does not answer (%v); provision it with: "+
			"sudo integration/provision.sh all", Address(), err)
	}
	// The process id keeps two test runs on one machine (two checkouts, two flavors)
	// from sharing a daemon's directories.
	dir := fmt.Sprintf("lsctl-%s-%d", name, os.Getpid())
	d := &Daemon{t: t, Name: name, Flavor: flavor(), RunDir: "/run/" + dir, LibDir: "/var/lib/" + dir}
	t.Cleanup(d.remove)
	d.Start()
	env := newEnv(t, d.Address(), d.Flavor)
	// Runs first: a test that failed while the daemon was down leaves containers that
	// only a running daemon can remove.
	t.Cleanup(d.ensureRunning)
	return env, d
}

// ensureRunning starts the daemon again when it does not run.
func (d *Daemon) ensureRunning() {
	if _, err := d.pid(); err == nil {
		return
	}
	if out, err := d.provision("start-containerd", "--containerd", d.Flavor); err != nil {
		d.t.Logf("harness: restart containerd %s for the cleanup: %v\n%s", d.Name, err, out)
	}
}

// Start starts the daemon, or fails the test; provision.sh waits until it answers.
func (d *Daemon) Start() {
	d.t.Helper()
	if out, err := d.provision("start-containerd", "--containerd", d.Flavor); err != nil {
		d.t.Fatalf("start containerd %s: %v\n%s", d.Name, err, out)
	}
}

// PID is the daemon's process id; the test fails when it does not run.
func (d *Daemon) PID() int {
	d.t.Helper()
	pid, err := d.pid()
	if err != nil {
		d.t.Fatal(err)
	}
	return pid
}

func (d *Daemon) pid() (int, error) {
	data, err := os.ReadFile(filepath.Join(d.RunDir, "containerd.pid"))
	if err != nil {
		return 0, fmt.Errorf("containerd %s does not run: %w", d.Name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || !containerdrt.ProcessAlive(pid) {
		return 0, fmt.Errorf("containerd %s does not run (pid file says %q)", d.Name, data)
	}
	return pid, nil
}

// Kill sends sig to the containerd process only (its shims, and so the containers,
// live on) and waits until it is gone.
func (d *Daemon) Kill(sig syscall.Signal) {
	d.t.Helper()
	pid := d.PID()
	if err := syscall.Kill(pid, sig); err != nil {
		d.t.Fatalf("signal containerd %s (pid %d): %v", d.Name, pid, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for containerdrt.ProcessAlive(pid) { // not this process's child: nothing to wait on but its /proc entry
		if time.Now().After(deadline) {
			d.t.Fatalf("containerd %s (pid %d) still runs 30 s after %v", d.Name, pid, sig)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Freeze stops the daemon with SIGSTOP: its socket accepts connections and nothing
// answers, as a hung containerd; the running containers go on.
func (d *Daemon) Freeze() { d.signal(syscall.SIGSTOP) }

// Thaw resumes a frozen daemon with SIGCONT.
func (d *Daemon) Thaw() { d.signal(syscall.SIGCONT) }

func (d *Daemon) signal(sig syscall.Signal) {
	d.t.Helper()
	if err := syscall.Kill(d.PID(), sig); err != nil {
		d.t.Fatalf("send %v to containerd %s: %v", sig, d.Name, err)
	}
}

// remove stops the daemon with its tasks and removes its directories.
func (d *Daemon) remove() {
	if pid, err := d.pid(); err == nil {
		_ = syscall.Kill(pid, syscall.SIGCONT) // a frozen daemon would hang provision.sh stop
	}
	if os.Getenv("LSCTL_TEST_KEEP") == "1" {
		d.t.Logf("harness: kept containerd %s (LSCTL_TEST_KEEP=1); stop it with: "+
			"LSCTL_TEST_RUN_DIR=%s LSCTL_TEST_LIB_DIR=%s integration/provision.sh stop", d.Name, d.RunDir, d.LibDir)
		return
	}
	if out, err := d.provision("stop"); err != nil {
		d.t.Logf("harness: stop containerd %s: %v\n%s", d.Name, err, out)
	}
	for _, dir := range []string{d.RunDir, d.LibDir} {
		for _, m := range mountsUnder(dir) {
			_ = syscall.Unmount(m, syscall.MNT_DETACH)
		}
		if err := os.RemoveAll(dir); err != nil {
			d.t.Logf("harness: remove %s: %v", dir, err)
		}
	}
}

// provision runs integration/provision.sh for this daemon.
func (d *Daemon) provision(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(repoRoot(), "integration", "provision.sh"), args...)
	cmd.Env = append(os.Environ(), "LSCTL_TEST_RUN_DIR="+d.RunDir, "LSCTL_TEST_LIB_DIR="+d.LibDir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}
