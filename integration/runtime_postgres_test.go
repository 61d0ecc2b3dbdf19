package integration

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// rtLoadTestImage loads a test image of integration/images/build.sh by short name
// unless present, and returns its reference.
func rtLoadTestImage(t *testing.T, e *rtEnv, short string) string {
	t.Helper()
	ref := harness.ImageRef(short)
	if _, err := e.c.ImageConfig(e.ctx, ref); err == nil {
		return ref
	}
	f, err := os.Open(harness.Require(t).Archive(t, short))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := e.c.LoadArchive(e.ctx, f); err != nil {
		t.Fatalf("load %s: %v", short, err)
	}
	return ref
}

// Issue 3: postgres becomes ready, checked by exec of pg_isready (docs/spec/runtime.md §3.2,
// §11.1); a client in another container logs in with the password by name.
func TestRuntimePostgresReady(t *testing.T) {
	e := newRTEnv(t)
	rtPostgres := rtLoadTestImage(t, e, "postgres")
	p := e.newRTProject(t, "rtpg", map[string][]string{"db": nil, "client": {"sleep", "3600"}})
	const pw = "s3cret-pw"
	db := p.spec("db")
	db.Kind, db.Image = manifest.KindPostgres, rtPostgres
	db.Labels[plan.LabelKind] = "postgres"
	db.Env = []plan.EnvVar{
		{Name: "POSTGRES_DB", Value: "app"}, {Name: "POSTGRES_USER", Value: "app"},
		{Name: "POSTGRES_PASSWORD", Value: pw, Secret: true}, {Name: "PGPORT", Value: "5432"},
	}
	hostPort := freePort(t)
	db.Ports = []plan.PortBinding{{HostIP: "127.0.0.1", HostPort: hostPort, ContainerPort: 5432, RequestedHostPort: hostPort}}
	client := p.spec("client")
	client.Image = rtPostgres
	client.Entrypoint = []string{""}

	started := time.Now()
	ctr := p.start(t, "db")
	ctx, cancel := context.WithTimeout(e.ctx, 60*time.Second)
	defer cancel()
	if err := e.c.WaitPort(ctx, net.JoinHostPort(ctr.IP(), "5432")); err != nil {
		t.Fatalf("postgres never listened on %s:5432: %v", ctr.IP(), err)
	}
	probe := containerdrt.ExecRequest{
		Argv:    []string{"pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", "app", "-d", "app"},
		Timeout: 3 * time.Second,
	}
	var last containerdrt.ExecResult
	for ctx.Err() == nil {
		res, err := e.c.Exec(ctx, ctr.ID(), probe)
		if err != nil {
			t.Fatalf("probe: %v", err)
		}
		if last = res; res.ExitCode == 0 {
			break
		}
		select {
		case st := <-ctr.Exited():
			t.Fatalf("postgres exited with %d before ready", st.Code)
		case <-time.After(100 * time.Millisecond): // probe spacing, as the health schedule does
		}
	}
	if last.ExitCode != 0 {
		t.Fatalf("postgres not ready within 60s; last probe %+v", last)
	}
	t.Logf("postgres ready %s after start", time.Since(started).Round(time.Millisecond))

	cli := p.start(t, "client")
	login, err := e.c.Exec(e.ctx, cli.ID(), containerdrt.ExecRequest{
		Argv:    []string{"psql", "postgres://app:" + pw + "@db:5432/app", "-tAc", "select 40+2"},
		Timeout: 10 * time.Second,
	})
	if err != nil || login.ExitCode != 0 || strings.TrimSpace(login.Output) != "42" {
		t.Errorf("password login by name from another container = %+v, %v", login, err)
	}
	wrong, err := e.c.Exec(e.ctx, cli.ID(), containerdrt.ExecRequest{
		Argv:    []string{"psql", "postgres://app:wrong@db:5432/app", "-tAc", "select 1"},
		Timeout: 10 * time.Second,
	})
	if err != nil || wrong.ExitCode == 0 {
		t.Errorf("login with a wrong password = %+v, %v; want failure", wrong, err)
	}
	code, err := e.c.Stop(e.ctx, ctr.ID(), "", 10*time.Second)
	if err != nil || code != 0 {
		t.Errorf("postgres stop (SIGINT from the image) = %d, %v; want a clean 0", code, err)
	}
}

func freePort(t *testing.T) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	n, _ := strconv.Atoi(port)
	return uint16(n)
}
