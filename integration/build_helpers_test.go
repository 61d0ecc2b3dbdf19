package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/containerdrt/logfile"
	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// buildkitSocket is where integration/buildkit.sh starts buildkitd: beside the test
// containerd's socket, so that a second daemon (LSCTL_TEST_RUN_DIR) has its own.
func buildkitSocket() string {
	return filepath.Join(filepath.Dir(strings.TrimPrefix(rtAddress(), "unix://")), "buildkitd.sock")
}

// buildkitAddr is the buildkitd of the tests: LSCTL_TEST_BUILDKIT_ADDRESS, else the
// socket of integration/buildkit.sh.
func buildkitAddr() string {
	if a := os.Getenv("LSCTL_TEST_BUILDKIT_ADDRESS"); a != "" {
		return a
	}
	return "unix://" + buildkitSocket()
}

var (
	buildkitOnce sync.Once
	buildkitErr  error
)

// requireBuildkit makes sure buildkitd answers, starting it with integration/buildkit.sh
// once per test process when the tests must run or its binaries are already built (a
// plain `go test` never triggers the 3-minute build). It skips, or fails when the tests
// must run.
func requireBuildkit(t testing.TB) string {
	t.Helper()
	buildkitOnce.Do(func() { buildkitErr = startBuildkit() })
	if buildkitErr != nil {
		rtUnavailable(t, "buildkitd at %s: %v", buildkitAddr(), buildkitErr)
	}
	return buildkitAddr()
}

func startBuildkit() error {
	addr := buildkitAddr()
	path, isUnix := strings.CutPrefix(addr, "unix://")
	if !isUnix {
		return nil // a remote daemon given explicitly: the tests report if it is down
	}
	if conn, err := net.DialTimeout("unix", path, time.Second); err == nil {
		conn.Close()
		return nil
	}
	if path != buildkitSocket() {
		return fmt.Errorf("no daemon on %s", path)
	}
	script := filepath.Join("..", "integration", "buildkit.sh")
	if !rtMustRun() && buildkitScript(script, "status").Run() != nil && !buildkitBuilt() {
		return errors.New("not running and not built; start it with: sudo integration/buildkit.sh start")
	}
	cmd := buildkitScript(script, "start")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("integration/buildkit.sh start: %v: %s", err, out.String())
	}
	return nil
}

// buildkitScript runs integration/buildkit.sh for the test containerd: its run
// directory (hence buildkitd's socket) is the one of the containerd socket.
func buildkitScript(script string, args ...string) *exec.Cmd {
	cmd := exec.Command(script, args...)
	cmd.Env = append(os.Environ(),
		"LSCTL_TEST_RUN_DIR="+filepath.Dir(buildkitSocket()),
		"LSCTL_TEST_CONTAINERD_ADDRESS="+strings.TrimPrefix(rtAddress(), "unix://"))
	return cmd
}

// buildkitBuilt reports whether buildkit.sh has its binaries already.
func buildkitBuilt() bool {
	return buildkitScript(filepath.Join("..", "integration", "buildkit.sh"), "built").Run() == nil
}

// buildEnv is a runtime client that builds with the test buildkitd, plus a busybox
// project to run built images in.
type buildEnv struct {
	*rtEnv
	addr string
}

func newBuildEnv(t *testing.T) *buildEnv {
	t.Helper()
	e := newRTEnv(t)
	return &buildEnv{rtEnv: e, addr: requireBuildkit(t)}
}

// client connects a runtime client with the given rebuild flag and buildkit address.
func (b *buildEnv) client(t testing.TB, addr string, force bool) *containerdrt.Client {
	t.Helper()
	// Built here rather than from rtOptions, whose shape the runtime tests own.
	o := containerdrt.Options{
		Address: rtAddress(), Namespace: rtNamespace, DataRoot: b.dataRoot, LogDriver: rtDriver,
		SubnetPool: "10.215.0.0/18", Pull: containerdrt.PullMissing,
		BuildkitAddress: addr, Build: force,
	}
	c, err := containerdrt.Connect(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// buildSpec is a dockerfile resource spec for a context directory, with an image name
// unique to this process, removed after the test.
func (b *buildEnv) buildSpec(t testing.TB, res, dir, target string, args ...plan.EnvVar) *plan.ContainerSpec {
	t.Helper()
	project := fmt.Sprintf("bld%d", os.Getpid()%100000)
	s := &plan.ContainerSpec{
		ID: plan.ContainerID(project, res), Project: project, Resource: res,
		Kind:  manifest.KindDockerfile,
		Image: plan.BuiltImageName(project, res),
		Build: &plan.BuildSpec{Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile"), Args: args, Target: target},
	}
	t.Cleanup(func() {
		err := b.raw.ImageService().Delete(context.Background(), s.Image)
		if err != nil && !errdefs.IsNotFound(err) {
			t.Errorf("remove built image %s: %v", s.Image, err)
		}
	})
	return s
}

// progressLog records progress updates.
type progressLog struct {
	mu      sync.Mutex
	updates []containerdrt.ProgressUpdate
}

func (l *progressLog) add(u containerdrt.ProgressUpdate) {
	l.mu.Lock()
	l.updates = append(l.updates, u)
	l.mu.Unlock()
}

// phases lists the phases seen, and the build-step messages.
func (l *progressLog) phases() (phases []string, steps []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, u := range l.updates {
		if u.Phase == "build-step" {
			steps = append(steps, u.Message)
			continue
		}
		phases = append(phases, string(u.Phase))
	}
	return phases, steps
}

// build runs BuildImage and returns the phases seen (build steps apart).
func build(t *testing.T, c *containerdrt.Client, s *plan.ContainerSpec) (phases, steps []string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var l progressLog
	err = c.BuildImage(ctx, s, l.add)
	phases, steps = l.phases()
	return phases, steps, err
}

// runImage runs image with its own command in a fresh busybox project and returns its
// stdout lines.
func (b *buildEnv) runImage(t *testing.T, image string) []string {
	t.Helper()
	p := b.newRTProject(t, "bldrun", map[string][]string{"web": nil})
	s := p.spec("web")
	s.Image, s.Command = image, nil
	ctr := p.start(t, "web")
	if st := waitExit(t, ctr, 30*time.Second); st.Code != 0 {
		t.Errorf("built image exited with %d", st.Code)
	}
	// Task delete stops the log driver after it flushed.
	if err := b.c.Remove(b.ctx, ctr.ID()); err != nil {
		t.Fatal(err)
	}
	recs, err := logfile.Read(s.LogPath, -1)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		if r.Stream == "stdout" {
			out = append(out, r.Line)
		}
	}
	return out
}

// writeFiles writes files (relative path -> content) below dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
