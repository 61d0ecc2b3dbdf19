package integration

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// Issue 12 item 1: with a stack running detached, an up -d that fails (an added
// resource whose image is missing, with --pull never) removes only what it created:
// the running containers go on with their network and bridge, and the next up -d
// with the mistake fixed takes them over without restarting them.
func TestCLIFailedUpKeepsRunningStack(t *testing.T) {
	env := harness.Require(t)
	const project = "clifailup"
	dir, _ := upDetached(t, env, supervisedManifest(project, jobCommand), "app", "busybox")
	c, ctx := ctrClient(t, env)
	pids := map[string]uint32{}
	for _, r := range []string{"web", "job"} {
		pids[r] = taskPID(t, c, ctx, plan.ContainerID(project, r))
	}
	broken := supervisedManifest(project, jobCommand) + fmt.Sprintf("  extra:\n    container:\n      image: localhost/lsctl-test/missing:1\n      depends_on: [web]\n")
	if err := os.WriteFile(filepath.Join(dir, "lightshuttle.yml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 1 || !strings.Contains(errOut, `startup failed: resource "extra"`) || !strings.Contains(errOut, "kept running as before this up") {
		t.Fatalf("up -d with a missing image: exit %d\n%s%s", code, out, errOut)
	}
	for r, pid := range pids {
		if now := taskPID(t, c, ctx, plan.ContainerID(project, r)); now != pid {
			t.Errorf("the failed up restarted %s (pid %d -> %d)", r, pid, now)
		}
	}
	record := filepath.Join(env.DataRoot, "networks", plan.NetworkName(project)+".json")
	if _, err := os.Stat(record); err != nil {
		t.Errorf("the failed up removed the network record: %v", err)
	}
	if _, err := net.InterfaceByName(plan.BridgeName(plan.NetworkName(project))); err != nil {
		t.Errorf("the failed up removed the bridge: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lightshuttle.yml"), []byte(supervisedManifest(project, jobCommand)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 0 || !containsAll(out, "web: reusing running container", "job: reusing running container") {
		t.Fatalf("up -d after the fix: exit %d\n%s%s", code, out, errOut)
	}
	for r, pid := range pids {
		if now := taskPID(t, c, ctx, plan.ContainerID(project, r)); now != pid {
			t.Errorf("the fixed up restarted %s (pid %d -> %d)", r, pid, now)
		}
	}
}

// Issue 12 item 1: ps checks the bridge that the network record names and reports a
// broken network, not healthy containers that nothing can reach.
func TestCLIPSReportsBrokenNetwork(t *testing.T) {
	env := harness.Require(t)
	const project = "clibroken"
	dir, _ := upDetached(t, env, supervisedManifest(project, jobCommand), "app", "busybox")
	bridge := plan.BridgeName(plan.NetworkName(project))
	if out, err := exec.Command("ip", "link", "del", bridge).CombinedOutput(); err != nil {
		t.Fatalf("delete bridge %s: %v: %s", bridge, err, out)
	}
	code, out, _ := cliRun(t, env, dir, "ps")
	if code != 0 || !containsAll(out, "web   container  network-broken", "["+project+"] network broken: bridge "+bridge+" is missing") || strings.Contains(out, "healthy") {
		t.Errorf("ps with the bridge gone: exit %d\n%s", code, out)
	}
}
