package integration

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/api/services/tasks/v1"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// demoResources are the resources of examples/demo, in declaration order, with the
// status each has once the stack is ready.
var demoResources = []struct{ name, ready string }{
	{"db", "healthy"},
	{"cache", "healthy"},
	{"app", "running"},
}

// demoStack drives the built lsctl on examples/demo/lightshuttle.yml, in the test's own
// namespace and data root.
type demoStack struct {
	t        *testing.T
	env      *harness.Env
	project  string
	manifest string
	network  demoNetwork // read after the first up, checked after every down
}

// demoNetwork is the part of the network record (docs/spec/runtime.md §5.1) the checks need.
type demoNetwork struct {
	Name   string `json:"name"`
	Subnet string `json:"subnet"`
	Bridge string `json:"bridge"`
}

// demoView is the part of a resource view (docs/spec/runtime.md §14) the checks need.
type demoView struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Ports  []struct {
		HostIP        string `json:"host_ip"`
		HostPort      int    `json:"host_port"`
		ContainerPort int    `json:"container_port"`
	} `json:"ports"`
}

// newDemoStack copies examples/demo/lightshuttle.yml with one change, a project name of
// its own: bridge names and CNI rule comments are host-wide, so two runs of this test (or
// this test and `make demo`) on one host must not share a project name.
func newDemoStack(t *testing.T) *demoStack {
	t.Helper()
	env := harness.Require(t)
	b, err := os.ReadFile(filepath.Join("..", "examples", "demo", "lightshuttle.yml"))
	if err != nil {
		t.Fatal(err)
	}
	const name = "\n  name: demo\n"
	if bytes.Count(b, []byte(name)) != 1 {
		t.Fatalf("examples/demo/lightshuttle.yml: no single %q line to rename the project", name)
	}
	project := "demo-" + strings.TrimPrefix(env.Namespace, "lsctl-it-")
	manifest := filepath.Join(t.TempDir(), "lightshuttle.yml")
	b = bytes.Replace(b, []byte(name), []byte("\n  name: "+project+"\n"), 1)
	if err := os.WriteFile(manifest, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return &demoStack{t: t, env: env, project: project, manifest: manifest}
}

// id is the container identifier of a resource (docs/spec/runtime.md §4.1).
func (d *demoStack) id(resource string) string { return d.project + "_" + resource }

// networkName is the project's network name (docs/spec/runtime.md §5.1).
func (d *demoStack) networkName() string { return "lightshuttle-" + d.project }

// run runs `lsctl -f <demo manifest> ARGS...` and returns its exit code and output.
func (d *demoStack) run(args ...string) (int, string, string) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, harness.Binary(d.t), append([]string{"-f", d.manifest}, args...)...)
	cmd.Env = append(os.Environ(), d.env.Environ(d.t)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String(), errb.String()
	}
	if err != nil {
		d.t.Fatalf("run lsctl %v: %v", args, err)
	}
	return 0, out.String(), errb.String()
}

// mustRun runs lsctl and fails the test unless it exits 0 printing every wanted string.
func (d *demoStack) mustRun(want []string, args ...string) string {
	d.t.Helper()
	code, out, errOut := d.run(args...)
	if code != 0 {
		d.t.Fatalf("lsctl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			d.t.Errorf("lsctl %s: output lacks %q:\n%s", strings.Join(args, " "), w, out)
		}
	}
	return out
}

// up starts the stack detached and checks the readiness lines (issue 5 acceptance: up -d
// exits 0 once postgres and redis are healthy and the app runs), and that the first
// line names the subnet the network record holds (docs/spec/runtime.md §16.3).
func (d *demoStack) up() {
	d.t.Helper()
	out := d.mustRun([]string{"app: waiting for ", "db: healthy after ", "cache: healthy after ", "app: running",
		"[" + d.project + "] ready: 3 resource(s) in "}, "up", "-d")
	b, err := os.ReadFile(filepath.Join(d.env.DataRoot, "networks", d.networkName()+".json"))
	if err != nil {
		d.t.Fatalf("network record after up: %v", err)
	}
	if err := json.Unmarshal(b, &d.network); err != nil || d.network.Bridge == "" || d.network.Subnet == "" {
		d.t.Fatalf("network record %s: %v", b, err)
	}
	first := fmt.Sprintf("[%s] starting 3 resource(s) on %s (%s)\n", d.project, d.networkName(), d.network.Subnet)
	if !strings.HasPrefix(out, first) {
		d.t.Errorf("up output does not start with %q:\n%s", first, out)
	}
}

// down stops the stack (with --volumes when asked) and checks that nothing of it remains.
func (d *demoStack) down(volumes bool) {
	d.t.Helper()
	args, want := []string{"down"}, []string{"app: stopped", "db: stopped", "cache: stopped",
		"[" + d.project + "] network " + d.networkName() + " removed"}
	if volumes {
		args = append(args, "--volumes")
		want = append(want, "volume "+d.id("db")+"_data removed", "volume "+d.id("cache")+"_data removed")
	}
	out := d.mustRun(want, args...)
	if strings.Index(out, "app: stopped") > strings.Index(out, "db: stopped") {
		d.t.Errorf("down stopped db before its dependent app:\n%s", out)
	}
	d.assertNothingLeft()
	_, err := os.Stat(filepath.Join(d.env.DataRoot, "volumes", d.id("db")+"_data"))
	if volumes != errors.Is(err, os.ErrNotExist) {
		d.t.Errorf("after down (volumes=%v), volume %s_data: stat error %v", volumes, d.id("db"), err)
	}
}

// appRuns returns the app's log split at each start of the app: one slice of visit
// counts (its "sql: visits=<n>" lines) per run, and whether each run also logged a PONG.
func (d *demoStack) appRuns() (runs [][]int, pongs []bool) {
	d.t.Helper()
	code, out, errOut := d.run("logs", "--no-prefix", "app")
	if code != 0 {
		d.t.Fatalf("logs app: exit %d\n%s%s", code, out, errOut)
	}
	visits := regexp.MustCompile(`^sql: visits=(\d+)$`)
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "demo-app: visiting "):
			runs, pongs = append(runs, nil), append(pongs, false)
		case len(runs) == 0:
		case line == "redis: PONG":
			pongs[len(pongs)-1] = true
		case visits.MatchString(line):
			n, _ := strconv.Atoi(visits.FindStringSubmatch(line)[1])
			runs[len(runs)-1] = append(runs[len(runs)-1], n)
		}
	}
	return runs, pongs
}

// waitRun waits until the app's log shows run number n (1-based) with a visit and a
// PONG, and returns that run's visit counts. Log files fill asynchronously (docs/spec/runtime.md
// §10.1) with no event to await, so this polls.
func (d *demoStack) waitRun(n int) []int {
	d.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		runs, pongs := d.appRuns()
		if len(runs) >= n && len(runs[n-1]) > 0 && pongs[n-1] {
			return runs[n-1]
		}
		if time.Now().After(deadline) {
			_, out, _ := d.run("logs", "app")
			d.t.Fatalf("app log shows no run %d with a query and a PING within 30s:\n%s", n, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// issue 5 acceptance, examples/demo (under a project name of its own, see newDemoStack):
// up -d, the app's query and PING in its log, ps --json, the published postgres and redis
// ports from the host, persistence across down + up, down --volumes, and nothing left
// after each down (docs/spec/runtime.md §5.5, §7.2, §12.7, §16.3-16.6).
func TestDemoStack(t *testing.T) {
	d := newDemoStack(t)
	for _, short := range []string{"postgres", "redis", "demo-app"} {
		d.mustRun([]string{"loaded " + harness.ImageRef(short)}, "images", "load", d.env.Archive(t, short))
	}
	d.assertSharedDebianLayer()

	d.up()
	t.Cleanup(func() { d.run("down", "--volumes") })
	d.assertTraces()
	first := d.waitRun(1)
	if first[0] != 1 {
		t.Errorf("first run of the app on a fresh database counted %v visits, want 1 first", first)
	}
	ports := d.assertPSReady()
	assertPostgresAnswers(t, ports["db"])
	assertRedisAnswers(t, ports["cache"])

	d.down(false)
	runs, _ := d.appRuns()
	before := runs[0][len(runs[0])-1]
	d.up()
	// Greater, not before+1: a stop can land after an insert and before its line.
	if second := d.waitRun(2); second[0] <= before {
		t.Errorf("after down + up the app counted %d visits, want more than %d: the data did not survive", second[0], before)
	}

	d.down(true)
	d.up()
	if again := d.waitRun(1); again[0] != 1 {
		t.Errorf("after down --volumes + up the app counted %d visits, want 1: the data survived", again[0])
	}
	d.down(true)
}

// assertPSReady checks `ps --json`: every resource ready, postgres and redis published on
// 127.0.0.1 at a host port. It returns the host port of each published resource.
func (d *demoStack) assertPSReady() map[string]int {
	d.t.Helper()
	out := d.mustRun(nil, "ps", "--json")
	var views []demoView
	if err := json.Unmarshal([]byte(out), &views); err != nil {
		d.t.Fatalf("ps --json: %v\n%s", err, out)
	}
	if len(views) != len(demoResources) {
		d.t.Fatalf("ps --json lists %d resources, want %d:\n%s", len(views), len(demoResources), out)
	}
	ports := map[string]int{}
	for i, r := range demoResources {
		v := views[i]
		if v.Name != r.name || v.Status != r.ready {
			d.t.Errorf("ps --json view %d: %s %s, want %s %s", i, v.Name, v.Status, r.name, r.ready)
		}
		if r.name == "app" {
			continue
		}
		if len(v.Ports) != 1 || v.Ports[0].HostIP != "127.0.0.1" || v.Ports[0].HostPort == 0 {
			d.t.Errorf("ps --json: %s ports %+v, want one on 127.0.0.1", r.name, v.Ports)
			continue
		}
		ports[r.name] = v.Ports[0].HostPort
	}
	return ports
}

// assertPostgresAnswers speaks the PostgreSQL protocol to 127.0.0.1:port from the host: an
// SSLRequest answered 'N' or 'S', then (after 'N') a StartupMessage answered by an
// authentication request ('R'), which only a real server sends.
func assertPostgresAnswers(t *testing.T, port int) {
	t.Helper()
	conn := demoDial(t, port)
	defer conn.Close()
	var req bytes.Buffer
	_ = binary.Write(&req, binary.BigEndian, [2]int32{8, 80877103})
	reply := demoExchange(t, conn, req.Bytes(), 1)
	if reply[0] != 'N' && reply[0] != 'S' {
		t.Fatalf("postgres on 127.0.0.1:%d answered the SSLRequest with %q, want N or S", port, reply)
	}
	if reply[0] == 'S' {
		return // a TLS handshake would follow; the answer already proves a postgres server
	}
	body := []byte("\x00\x03\x00\x00user\x00postgres\x00database\x00db\x00\x00")
	msg := binary.BigEndian.AppendUint32(nil, uint32(4+len(body)))
	if reply = demoExchange(t, conn, append(msg, body...), 1); reply[0] != 'R' {
		t.Errorf("postgres on 127.0.0.1:%d answered the startup message with %q, want R", port, reply)
	}
}

// assertRedisAnswers sends an inline PING to 127.0.0.1:port from the host.
func assertRedisAnswers(t *testing.T, port int) {
	t.Helper()
	conn := demoDial(t, port)
	defer conn.Close()
	if reply := demoExchange(t, conn, []byte("PING\r\n"), 7); string(reply) != "+PONG\r\n" {
		t.Errorf("redis on 127.0.0.1:%d answered PING with %q", port, reply)
	}
}

func demoDial(t *testing.T, port int) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err != nil {
		t.Fatalf("published port from the host: %v", err)
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	return conn
}

// demoExchange writes a request and reads exactly n bytes of reply.
func demoExchange(t *testing.T, conn net.Conn, req []byte, n int) []byte {
	t.Helper()
	if _, err := conn.Write(req); err != nil {
		t.Fatalf("write to %s: %v", conn.RemoteAddr(), err)
	}
	reply := make([]byte, n)
	if _, err := io.ReadFull(conn, reply); err != nil {
		t.Fatalf("read from %s: %v", conn.RemoteAddr(), err)
	}
	return reply
}

// assertSharedDebianLayer checks, in containerd, that the demo app image sits on the
// postgres and redis images' Debian layer, so the demo costs one small layer more.
func (d *demoStack) assertSharedDebianLayer() {
	d.t.Helper()
	c, ctx := d.client()
	defer c.Close()
	var bases []string
	for _, short := range []string{"postgres", "redis", "demo-app"} {
		img, err := c.GetImage(ctx, harness.ImageRef(short))
		if err != nil {
			d.t.Fatalf("image %s after images load: %v", short, err)
		}
		diffIDs, err := img.RootFS(ctx)
		if err != nil || len(diffIDs) != 2 {
			d.t.Fatalf("image %s: layers %v (%v), want the Debian layer and one more", short, diffIDs, err)
		}
		bases = append(bases, diffIDs[0].String())
	}
	if bases[0] != bases[2] || bases[1] != bases[2] {
		d.t.Errorf("base layers of postgres, redis, demo-app differ: %v", bases)
	}
}

func (d *demoStack) client() (*containerd.Client, context.Context) {
	d.t.Helper()
	c, err := containerd.New(d.env.Address)
	if err != nil {
		d.t.Fatalf("connect to containerd: %v", err)
	}
	return c, namespaces.WithNamespace(context.Background(), d.env.Namespace)
}

// demoTraceKinds are the kinds of trace a running stack leaves on the host, each of which
// must be gone after down (issue 5 acceptance; docs/spec/runtime.md §5.3, §5.5, §12.7).
var demoTraceKinds = []string{"container", "task", "snapshot", "netns pin", "CNI cache",
	"iptables rule", "mount", "bridge", "network record"}

// traces lists, per kind, what of the project exists on the host and in containerd.
func (d *demoStack) traces() map[string][]string {
	d.t.Helper()
	found := map[string][]string{}
	add := func(kind string, what ...string) { found[kind] = append(found[kind], what...) }
	c, ctx := d.client()
	defer c.Close()
	ctrs, err := c.Containers(ctx, `labels."lightshuttle.project"==`+strconv.Quote(d.project))
	if err != nil {
		d.t.Fatalf("list containers: %v", err)
	}
	for _, ctr := range ctrs {
		add("container", ctr.ID())
	}
	// The namespace is this test's own: every task in it is the project's.
	resp, err := c.TaskService().List(ctx, &tasks.ListTasksRequest{})
	if err != nil {
		d.t.Fatalf("list tasks: %v", err)
	}
	for _, task := range resp.Tasks {
		add("task", task.ID)
	}
	sn := c.SnapshotService("overlayfs")
	for _, r := range demoResources {
		if _, err := sn.Stat(ctx, d.id(r.name)); !errdefs.IsNotFound(err) {
			add("snapshot", fmt.Sprintf("%s (%v)", d.id(r.name), err))
		}
	}
	pins := filepath.Join("/run/lsctl/netns", d.env.Namespace)
	entries, _ := os.ReadDir(pins) // a missing directory holds no pin
	for _, e := range entries {
		add("netns pin", e.Name())
	}
	add("CNI cache", d.cniCacheTraces()...)
	add("iptables rule", d.iptablesTraces()...)
	add("mount", demoMountsUnder(d.t, d.env.DataRoot+"/", pins+"/")...)
	if _, err := net.InterfaceByName(d.network.Bridge); err == nil {
		add("bridge", d.network.Bridge)
	}
	record := filepath.Join(d.env.DataRoot, "networks", d.networkName()+".json")
	if _, err := os.Stat(record); !errors.Is(err, os.ErrNotExist) {
		add("network record", record)
	}
	return found
}

// assertTraces checks that every kind of trace exists while the stack runs, which proves
// that assertNothingLeft looks in the right places.
func (d *demoStack) assertTraces() {
	d.t.Helper()
	found := d.traces()
	for _, kind := range demoTraceKinds {
		if len(found[kind]) == 0 {
			d.t.Errorf("while up: no %s of the project found; the check after down would prove nothing", kind)
		}
	}
}

// assertNothingLeft checks that down left no trace of any kind.
func (d *demoStack) assertNothingLeft() {
	d.t.Helper()
	found := d.traces()
	for _, kind := range demoTraceKinds {
		if len(found[kind]) != 0 {
			d.t.Errorf("after down: %s left: %s", kind, strings.Join(found[kind], "\n\t"))
		}
	}
}

// cniCacheTraces lists the CNI cache files that name or mention a container of the
// project: an entry left after down means a missing CNI DEL (docs/architecture.md).
func (d *demoStack) cniCacheTraces() []string {
	d.t.Helper()
	var found []string
	root := filepath.Join(d.env.DataRoot, "cni", "cache")
	err := filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, r := range demoResources {
			if id := d.id(r.name); strings.Contains(path, id) || bytes.Contains(b, []byte(`"`+id+`"`)) {
				found = append(found, path)
				break
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		d.t.Fatalf("walk CNI cache %s: %v", root, err)
	}
	return found
}

// iptablesTraces lists the rules that name the bridge, the project network (CNI rule
// comments carry it) or a container of the project.
func (d *demoStack) iptablesTraces() []string {
	d.t.Helper()
	needles := []string{d.network.Bridge, `"` + d.networkName() + `"`}
	for _, r := range demoResources {
		needles = append(needles, `"`+d.id(r.name)+`"`)
	}
	return iptablesLinesWith(d.t, needles)
}

// demoMountsUnder lists the host mount points below any of the directories (each ending
// in "/").
func demoMountsUnder(t *testing.T, dirs ...string) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		for _, dir := range dirs {
			if len(fields) > 4 && strings.HasPrefix(fields[4], dir) {
				found = append(found, fields[4])
			}
		}
	}
	return found
}
