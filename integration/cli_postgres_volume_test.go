package integration

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// docs/spec/runtime.md §17 items 24 and 23, §7.2, §5.3: a postgres with `volume: false` loses a table
// when the resource restarts (its container is recreated, §12.6) and across down and up, while
// one with the default volume keeps it both times. Also §17 item 52: the postgres image's
// `StopSignal: SIGINT` reaches the server at a restart (PostgreSQL logs a fast shutdown).
func TestCLIPostgresVolumeFalseLosesData(t *testing.T) {
	env := harness.Require(t)
	const project = "clipgvol"
	fast := "      healthcheck: {interval: 500ms, start_period: 30s}\n"
	dir := cliWriteManifest(t, fmt.Sprintf(`project: {name: %s}
resources:
  kept:
    postgres:
      image: %s
%s  lost:
    postgres:
      image: %s
      volume: false
%s`, project, harness.ImageRef("postgres"), fast, harness.ImageRef("postgres"), fast))
	cliLoadImages(t, env, dir, "postgres")
	up := func() {
		t.Helper()
		if code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never"); code != 0 {
			t.Fatalf("up -d: exit %d\n%s%s", code, out, errOut)
		}
	}
	up()
	t.Cleanup(func() { cliRun(t, env, dir, "down", "--volumes") })
	for _, db := range []string{"kept", "lost"} {
		pgSQL(t, env, dir, db, "CREATE TABLE marker (x int)")
		if !pgHasMarker(t, env, dir, db) {
			t.Fatalf("%s: the table just created is not there", db)
		}
	}
	assertMarkers := func(when string) {
		t.Helper()
		if !pgHasMarker(t, env, dir, "kept") {
			t.Errorf("after %s, the postgres with the default volume lost its table", when)
		}
		if pgHasMarker(t, env, dir, "lost") {
			t.Errorf("after %s, the postgres with volume: false still has its table", when)
		}
	}
	for _, db := range []string{"kept", "lost"} {
		mac := containerMAC(t, env, dir, db)
		if code, out, errOut := cliRun(t, env, dir, "restart", db); code != 0 {
			t.Fatalf("restart %s: exit %d\n%s%s", db, code, out, errOut)
		}
		// §5.3: recreated at its address, it keeps its MAC, so neighbour entries stay right.
		if again := containerMAC(t, env, dir, db); again != mac {
			t.Errorf("%s: MAC %s before the restart, %s after", db, mac, again)
		}
	}
	assertMarkers("lsctl restart")
	if code, out, _ := cliRun(t, env, dir, "logs", "--no-prefix", "kept"); code != 0 ||
		!strings.Contains(out, "received fast shutdown request") || strings.Contains(out, "received smart shutdown request") {
		t.Errorf("the restart did not stop postgres with SIGINT (fast shutdown); logs:\n%s", out)
	}
	if code, out, errOut := cliRun(t, env, dir, "down"); code != 0 {
		t.Fatalf("down: exit %d\n%s%s", code, out, errOut)
	}
	up()
	assertMarkers("down and up")
}

// pgSQL runs one SQL statement in postgres resource db (the socket trusts local users) and
// returns psql's unaligned, tuples-only output.
func pgSQL(t *testing.T, env *harness.Env, dir, db, sql string) string {
	t.Helper()
	code, out, errOut := cliRun(t, env, dir, "exec", "-T", db, "--", "psql", "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-tAc", sql)
	if code != 0 {
		t.Fatalf("psql %q in %s: exit %d\n%s%s", sql, db, code, out, errOut)
	}
	return strings.TrimSpace(out)
}

// containerMAC is the MAC address of resource res's eth0.
func containerMAC(t *testing.T, env *harness.Env, dir, res string) string {
	t.Helper()
	code, out, errOut := cliRun(t, env, dir, "exec", "-T", res, "--", "cat", "/sys/class/net/eth0/address")
	if code != 0 {
		t.Fatalf("read the MAC of %s: exit %d\n%s%s", res, code, out, errOut)
	}
	return strings.TrimSpace(out)
}

// pgHasMarker reports whether db has the table marker.
func pgHasMarker(t *testing.T, env *harness.Env, dir, db string) bool {
	t.Helper()
	return pgSQL(t, env, dir, db, "SELECT to_regclass('marker') IS NOT NULL") == "t"
}
