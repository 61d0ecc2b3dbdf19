package integration

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

// httpdCommand serves body on port 80 with busybox httpd.
func httpdCommand(body string) []string {
	return []string{"sh", "-c", "mkdir -p /www && echo " + body + " > /www/index.html && exec httpd -f -p 80 -h /www"}
}

// netExec runs argv in a container and returns its output and exit code.
func netExec(t *testing.T, e *rtEnv, id string, argv ...string) (string, int) {
	t.Helper()
	res, err := e.c.Exec(e.ctx, id, containerdrt.ExecRequest{Argv: argv, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("exec %v in %s: %v", argv, id, err)
	}
	return res.Output, res.ExitCode
}

// netGet sends an HTTP GET to host:80 from inside container id with busybox nc
// (busybox-static's wget crashes on this platform) and returns the body.
func netGet(t *testing.T, e *rtEnv, id, host string) (string, bool) {
	t.Helper()
	out, code := netExec(t, e, id, "sh", "-c", `printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 `+host+` 80`)
	_, body, ok := strings.Cut(out, "\r\n\r\n")
	return strings.TrimSpace(body), code == 0 && ok && strings.HasPrefix(out, "HTTP/1.")
}

// netFetchEventually GETs host:80 from inside container id until it answers want.
// Polling is the only option: the server's readiness is not an event we can see.
func netFetchEventually(t *testing.T, e *rtEnv, id, host, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var body string
	for time.Now().Before(deadline) {
		var ok bool
		if body, ok = netGet(t, e, id, host); ok && body == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("GET http://%s/ from %s: %q; want %q", host, id, body, want)
}

// docs/spec/runtime.md §5.4, §17 items 11-13: containers of a project reach each other by
// resource name and by <project>_<resource>; another project reaches them neither by
// name nor by address.
func TestNetworkReachByName(t *testing.T) {
	e := newRTEnv(t)
	a := e.newRTProject(t, "neta", map[string][]string{
		"web":    httpdCommand("hello-web"),
		"client": {"sleep", "3600"},
	})
	b := e.newRTProject(t, "netb", map[string][]string{"probe": {"sleep", "3600"}})
	web := a.start(t, "web")
	a.start(t, "client")
	b.start(t, "probe")
	if a.plan.Network.Subnet == b.plan.Network.Subnet {
		t.Fatalf("both projects got subnet %s", a.plan.Network.Subnet)
	}
	client := a.spec("client").ID
	netFetchEventually(t, e, client, "web", "hello-web")
	netFetchEventually(t, e, client, a.plan.Project+"_web", "hello-web")

	if out, _ := netExec(t, e, a.spec("web").ID, "cat", "/etc/hostname"); out != "web\n" {
		t.Errorf("/etc/hostname = %q", out)
	}
	hosts, _ := netExec(t, e, client, "cat", "/etc/hosts")
	onHost, err := os.ReadFile(a.spec("client").HostsPath)
	if err != nil || hosts != string(onHost) || !strings.Contains(hosts, web.IP()+"\tweb "+a.plan.Project+"_web\n") {
		t.Errorf("/etc/hosts in the container:\n%s\non the host (%v):\n%s", hosts, err, onHost)
	}
	if _, code := netExec(t, e, client, "sh", "-c", "echo x >> /etc/hosts"); code == 0 {
		t.Error("/etc/hosts is writable inside the container")
	}

	probe := b.spec("probe").ID
	for _, host := range []string{"web", a.plan.Project + "_web", web.IP()} {
		if body, ok := netGet(t, e, probe, host); ok {
			t.Errorf("project %s reached %s: %q", b.plan.Project, host, body)
		}
	}
	// Positive control for the address case: the probe does reach its own gateway, so
	// the failure above is isolation, not a dead network.
	gw := b.plan.Network.Gateway.String()
	if out, code := netExec(t, e, probe, "sh", "-c", "ping -c 1 -W 2 "+gw); code != 0 {
		t.Errorf("probe cannot reach its gateway %s: %s", gw, out)
	}
}

// docs/spec/runtime.md §1.2, §5.4: when the plan changes, the hosts file is rewritten in place,
// so a running container sees the new resource without a restart.
func TestNetworkHostsRewrittenInPlace(t *testing.T) {
	e := newRTEnv(t)
	a := e.newRTProject(t, "nethosts", map[string][]string{"app": {"sleep", "3600"}})
	ctr := a.start(t, "app")
	grown := *a.plan
	extra := &plan.Node{Name: "extra", Index: len(grown.Nodes)}
	extra.Spec = rtSpec(e.dataRoot, grown.Project, "extra", []string{"true"})
	grown.Nodes = append(append([]*plan.Node(nil), grown.Nodes...), extra)
	if err := e.c.EnsureNetwork(e.ctx, &grown); err != nil {
		t.Fatal(err)
	}
	want := extra.Spec.IP.String() + "\textra " + grown.Project + "_extra\n"
	if hosts, _ := netExec(t, e, ctr.ID(), "cat", "/etc/hosts"); !strings.Contains(hosts, want) {
		t.Fatalf("running container's /etc/hosts lacks %q:\n%s", want, hosts)
	}
}
