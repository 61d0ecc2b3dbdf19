package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Daemon is a containerd of one test's own, started by provision.sh beside the shared
// test daemon, for tests that freeze, kill or restart containerd.
type Daemon struct {
	RunDir string // LSCTL_TEST_RUN_DIR of provision.sh: socket and pid file
	LibDir string // LSCTL_TEST_LIB_DIR: root, config and log
}

// RequirePrivate starts a private containerd of the shared daemon's flavor and returns
// an Env on it. At the end of the test the namespace is emptied, then the daemon (and
// the buildkitd provision.sh starts with it) is stopped and its directories removed.
func RequirePrivate(t testing.TB) (*Env, *Daemon) {
	t.Helper()
	if err := probe(); err != nil { // the shared daemon answers: the machine is provisioned
		unavailable(t, "test containerd at %s does not answer (%v); start it with: "+
			"sudo integration/provision.sh all", Address(), err)
	}
	name := strings.TrimPrefix(newNamespace(), "lsctl-it-")
	d := &Daemon{RunDir: "/run/lsctl-it-" + name, LibDir: filepath.Join(dataParent, "daemon-"+name)}
	t.Cleanup(func() { d.stop(t) }) // registered first: runs after the Env's cleanup
	e := &Env{
		Address:    filepath.Join(d.RunDir, "containerd.sock"),
		Flavor:     flavor(),
		CNIPath:    envOr("CNI_PATH", DefaultCNIPath),
		ImagesDir:  imagesDir(),
		Namespace:  newNamespace(),
		SubnetPool: nextSubnetPool(),
	}
	if out, err := d.provision("start", "--containerd", e.Flavor); err != nil {
		unavailable(t, "start a private containerd: %v\n%s", err, out)
	}
	e.DataRoot = newDataRoot(t)
	t.Cleanup(func() { e.cleanup(t) })
	return e, d
}

// provision runs integration/provision.sh for this daemon.
func (d *Daemon) provision(args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(repoRoot(), "integration", "provision.sh"), args...)
	cmd.Env = append(os.Environ(), "LSCTL_TEST_RUN_DIR="+d.RunDir, "LSCTL_TEST_LIB_DIR="+d.LibDir)
	return cmd.CombinedOutput()
}

// PID is the daemon's process ID.
func (d *Daemon) PID(t testing.TB) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.RunDir, "containerd.pid"))
	if err != nil {
		t.Fatalf("pid of the private containerd: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file of the private containerd: %v", err)
	}
	return pid
}

// Freeze stops the daemon with SIGSTOP: its socket accepts connections, nothing
// answers. The running containers go on.
func (d *Daemon) Freeze(t testing.TB) { d.signal(t, syscall.SIGSTOP) }

// Thaw resumes a frozen daemon with SIGCONT.
func (d *Daemon) Thaw(t testing.TB) { d.signal(t, syscall.SIGCONT) }

func (d *Daemon) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(d.PID(t), sig); err != nil {
		t.Fatalf("send %v to the private containerd: %v", sig, err)
	}
}

// stop thaws the daemon (a frozen one would hang provision.sh), stops it and removes
// its directories.
func (d *Daemon) stop(t testing.TB) {
	if b, err := os.ReadFile(filepath.Join(d.RunDir, "containerd.pid")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	if out, err := d.provision("stop"); err != nil {
		t.Logf("harness: stop the private containerd: %v\n%s", err, out)
		return
	}
	for _, dir := range []string{d.LibDir, d.RunDir} {
		if err := removeTree(dir); err != nil {
			t.Logf("harness: remove %s: %v", dir, err)
		}
	}
}
