package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
)

// Defaults match integration/provision.sh; its `env` subcommand prints the same values.
const (
	DefaultAddress = "/run/lsctl-test/containerd.sock"
	DefaultCNIPath = "/usr/lib/cni"
	// dataParent holds the per-test data roots. It is on the host's disk, not /tmp,
	// because overlay and bind mounts below a tmpfs behave differently.
	dataParent = "/var/lib/lsctl-test"
)

// Env is one test's view of the integration environment.
type Env struct {
	Address   string // containerd socket of the private test daemon
	Flavor    string // "v2" or "debian": which containerd serves Address
	CNIPath   string // directory of the CNI plugin binaries
	ImagesDir string // directory of the test image archives
	DataRoot  string // fresh lsctl data root, removed after the test
	Namespace string // fresh containerd namespace, emptied and removed after the test
	// SubnetPool is a /22 of its own for this Env, so that parallel tests never pick
	// the same project subnet (each has its own data root, hence its own allocation).
	SubnetPool string
}

// MustRun reports whether integration tests must run here: in CI, or when
// LSCTL_INTEGRATION=1. Then an unavailable prerequisite fails the test.
func MustRun() bool { return mustRun(os.Getenv) }

func mustRun(getenv func(string) string) bool {
	return getenv("CI") != "" || getenv("LSCTL_INTEGRATION") == "1"
}

// unavailable fails the test when integration tests must run, and skips it otherwise.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if MustRun() {
		t.Fatalf("integration prerequisite missing: %s", msg)
		return // unreachable for a real test; keeps a fake TB from also skipping
	}
	t.Skipf("%s (set LSCTL_INTEGRATION=1 to make this a failure)", msg)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Address is the test containerd socket: LSCTL_TEST_CONTAINERD_ADDRESS, else the default.
func Address() string {
	return strings.TrimPrefix(envOr("LSCTL_TEST_CONTAINERD_ADDRESS", DefaultAddress), "unix://")
}

var (
	probeOnce sync.Once
	probeErr  error
)

// probe checks once per test process that the daemon answers on its socket.
func probe() error {
	probeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := containerd.New(Address(), containerd.WithTimeout(3*time.Second))
		if err != nil {
			probeErr = err
			return
		}
		defer c.Close()
		_, probeErr = c.Version(ctx)
	})
	return probeErr
}

// Require returns the environment for one integration test, or skips or fails the test
// (see MustRun) when the test containerd does not answer.
func Require(t testing.TB) *Env {
	t.Helper()
	if err := probe(); err != nil {
		unavailable(t, "test containerd at %s does not answer (%v); start it with: "+
			"sudo integration/provision.sh all", Address(), err)
	}
	return newEnv(t, Address(), flavor())
}

// newEnv returns a fresh Env on the daemon at address, cleaned up after the test.
func newEnv(t testing.TB, address, flavor string) *Env {
	e := &Env{
		Address:    address,
		Flavor:     flavor,
		CNIPath:    envOr("CNI_PATH", DefaultCNIPath),
		ImagesDir:  imagesDir(),
		Namespace:  newNamespace(),
		SubnetPool: nextSubnetPool(),
	}
	e.DataRoot = newDataRoot(t)
	t.Cleanup(func() { e.cleanup(t) })
	return e
}

// flavor is LSCTL_TEST_CONTAINERD_FLAVOR, else what provision.sh recorded when it started
// the daemon, else "v2".
func flavor() string {
	if f := os.Getenv("LSCTL_TEST_CONTAINERD_FLAVOR"); f != "" {
		return f
	}
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(Address()), "containerd.flavor")); err == nil {
		if f := strings.TrimSpace(string(b)); f != "" {
			return f
		}
	}
	return "v2"
}

// newNamespace returns a containerd namespace name no other test uses.
func newNamespace() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error since Go 1.24
	return "lsctl-it-" + hex.EncodeToString(b)
}

// subnetCounter starts at a random /22 so that two test processes rarely collide.
var subnetCounter atomic.Uint32

func init() {
	b := make([]byte, 1)
	_, _ = rand.Read(b)
	subnetCounter.Store(uint32(b[0]))
}

// nextSubnetPool hands out the 64 /22 blocks of 10.214.0.0/16 in turn.
func nextSubnetPool() string {
	n := subnetCounter.Add(1) % 64
	return fmt.Sprintf("10.214.%d.0/22", n*4)
}

// newDataRoot makes a fresh data root under /var/lib/lsctl-test, or under the test's
// temporary directory when that is not writable (not root).
func newDataRoot(t testing.TB) string {
	t.Helper()
	if err := os.MkdirAll(dataParent, 0o755); err == nil {
		if dir, err := os.MkdirTemp(dataParent, "data-"); err == nil {
			return dir
		}
	}
	return t.TempDir()
}

// Environ is the environment that points a built lsctl at this Env (docs/spec/runtime.md §1.1),
// to append to os.Environ() for exec.Cmd.Env.
func (e *Env) Environ(t testing.TB) []string {
	t.Helper()
	return []string{
		"CONTAINERD_ADDRESS=" + e.Address,
		"LSCTL_NAMESPACE=" + e.Namespace,
		"LSCTL_DATA_ROOT=" + e.DataRoot,
		"LSCTL_SUBNET_POOL=" + e.SubnetPool,
		"CNI_PATH=" + e.CNIPath,
		// The shim runs the log driver; a go test binary cannot be it (docs/spec/runtime.md §10.1).
		"LSCTL_LOG_DRIVER=" + LogDriver(t),
		"NO_COLOR=1",
	}
}
