package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// managedIP is the bridge address of a resource's container.
func managedIP(t *testing.T, c *containerdrt.Client, project, resource string) string {
	t.Helper()
	all, err := c.List(context.Background(), project)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if m.Resource == resource && m.IP != "" {
			return m.IP
		}
	}
	t.Fatalf("no container with an address for %s in %+v", resource, all)
	return ""
}

// docs/spec/runtime.md §11.1, §17 items 107-108 (issue 16 item 3): the default postgres probe
// is native. From the first probe of the starting server (initdb, the temporary server
// without TCP, the real one) until healthy, no exec reaches the container, and the
// native verdict agrees with pg_isready's where they can be compared.
func TestCLIPostgresNativeProbe(t *testing.T) {
	env := harness.Require(t)
	const project = "clipgnative"
	pgPort := freePort(t)
	execs := countExecs(t, env)
	dir, out := upDetached(t, env, fmt.Sprintf(`project: {name: %s}
resources:
  db:
    postgres:
      image: %s
      user: app
      password: s3cret-pw
      port: %d
      healthcheck: {interval: 500ms}
`, project, harness.ImageRef("postgres"), pgPort), "postgres")
	if !strings.Contains(out, "db: healthy after ") {
		t.Fatalf("up -d did not report db healthy:\n%s", out)
	}
	id := plan.ContainerID(project, "db")
	if n := execs.of(id); n != 0 {
		t.Fatalf("%d execs in the postgres container until healthy, want 0: the default probe must be native", n)
	}
	c := cliRuntime(t, env)
	ip := managedIP(t, c, project, "db")
	native := plan.NativeProbe{Protocol: plan.ProbePostgres, Port: pgPort, User: "app", Database: "db"}
	for _, tc := range []struct {
		user, database string
	}{{"app", "db"}, {"nobody", "nope"}} {
		p := native
		p.User, p.Database = tc.user, tc.database
		res, err := c.Probe(context.Background(), ip, p, 3*time.Second)
		isready, xerr := c.Exec(context.Background(), id, containerdrt.ExecRequest{Timeout: 10 * time.Second,
			Argv: []string{"pg_isready", "-h", ip, "-p", fmt.Sprint(p.Port), "-U", tc.user, "-d", tc.database}})
		if err != nil || xerr != nil || res.ExitCode != 0 || isready.ExitCode != 0 {
			t.Errorf("user %s database %s: native %+v %v; pg_isready over the bridge %+v %v; want both to accept",
				tc.user, tc.database, res, err, isready, xerr)
		}
	}
	// The probes leave no trace in the server's log (no password sent, no reset) but
	// the server's own refusal while it starts, which pg_isready meets as well.
	code, logs, errOut := cliRun(t, env, dir, "logs", "db")
	for _, line := range strings.Split(logs, "\n") {
		for _, noise := range []string{"FATAL", "could not receive data", "incomplete startup packet", "unexpected EOF"} {
			if code != 0 || strings.Contains(line, noise) && !strings.Contains(line, "the database system is starting up") {
				t.Errorf("postgres log (exit %d) has %q:\n%s%s", code, noise, logs, errOut)
			}
		}
	}
	if _, err := c.Stop(context.Background(), id, "", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if res, err := c.Probe(context.Background(), ip, native, time.Second); err != nil || res.ExitCode == 0 {
		t.Errorf("probe of a stopped postgres = %+v, %v; want a failure", res, err)
	}
}

// docs/spec/manifest.md §16.1, docs/spec/runtime.md §17 items 107 and 110: busybox httpd behind
// an http healthcheck and a server behind a tcp one become healthy without any exec;
// a 404 makes the http one unhealthy.
func TestCLIHTTPAndTCPHealthchecks(t *testing.T) {
	env := harness.Require(t)
	const project = "clihttptcp"
	execs := countExecs(t, env)
	dir, out := upDetached(t, env, fmt.Sprintf(`project: {name: %[2]s}
resources:
  web:
    container:
      image: %[1]s
      command: "mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www"
      healthcheck: {http: {port: 8080, path: /healthz}, interval: 300ms, retries: 2}
  raw:
    container:
      image: %[1]s
      command: "sleep 1 && exec httpd -f -p 5000 -h /"
      healthcheck: {tcp: 5000, interval: 300ms}
`, harness.ImageRef("busybox"), project), "busybox")
	for _, r := range []string{"web", "raw"} {
		if !strings.Contains(out, r+": healthy after ") {
			t.Fatalf("up -d did not report %s healthy:\n%s", r, out)
		}
	}
	events := subscribeEvents(t, controlSocket(env, project))
	c := cliRuntime(t, env)
	web := plan.ContainerID(project, "web")
	if res, err := c.Exec(context.Background(), web, containerdrt.ExecRequest{Argv: []string{"rm", "/www/healthz"}, Timeout: 10 * time.Second}); err != nil || res.ExitCode != 0 {
		t.Fatalf("rm /www/healthz: %+v, %v", res, err)
	}
	awaitEvent(t, events, "resource_unhealthy", "web", 30*time.Second)
	if n, m := execs.of(web), execs.of(plan.ContainerID(project, "raw")); n != 1 || m != 0 {
		t.Errorf("execs: web %d (want 1, the rm), raw %d (want 0): http and tcp probes must not exec", n, m)
	}
	code, ps, _ := cliRun(t, env, dir, "ps")
	if code != 0 || !strings.Contains(ps, "web") || !strings.Contains(ps, "unhealthy") {
		t.Errorf("ps: exit %d\n%s", code, ps)
	}
}
