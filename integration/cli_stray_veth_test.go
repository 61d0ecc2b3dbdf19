package integration

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// docs/spec/runtime.md §17 item 103 (issue 12 item 4): a container whose namespace pin went while some process still held
// the namespace keeps its veth through CNI DEL (the plugins cannot enter a namespace
// they cannot find), and deleting the bridge does not take it. down must not say the
// network is removed while such a veth is left: it deletes it with the bridge.
func TestCLIDownRemovesVethOfALostNamespace(t *testing.T) {
	env := harness.Require(t)
	const project = "clistray"
	dir, _ := upDetached(t, env, sleeperManifest(project), "busybox")

	bridge := plan.BridgeName(plan.NetworkName(project))
	ports, err := os.ReadDir(filepath.Join("/sys/class/net", bridge, "brif"))
	if err != nil || len(ports) != 1 {
		t.Fatalf("ports of bridge %s: %v (%v), want the job's veth", bridge, ports, err)
	}
	veth := ports[0].Name()

	// The fault: a process (a debugging nsenter, say) holds the container's network
	// namespace, and its pin is gone, as a crash between unmount and DEL leaves it.
	pin := filepath.Join("/run/lsctl/netns", env.Namespace, plan.ContainerID(project, "job"))
	holder := exec.Command("nsenter", "--net="+pin, "sleep", "3600")
	if err := holder.Start(); err != nil {
		t.Fatalf("hold the namespace of %s: %v", pin, err)
	}
	t.Cleanup(func() { _ = holder.Process.Kill(); _ = holder.Wait() })
	c, ctx := ctrClient(t, env)
	task := taskPID(t, c, ctx, plan.ContainerID(project, "job"))
	awaitSameNetns(t, holder.Process.Pid, int(task))
	if err := syscall.Unmount(pin, syscall.MNT_DETACH); err != nil {
		t.Fatalf("unmount %s: %v", pin, err)
	}
	if err := os.Remove(pin); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := cliRun(t, env, dir, "down")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("[%s] network %s removed", project, plan.NetworkName(project))) {
		t.Fatalf("down: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := net.InterfaceByName(veth); err == nil {
		t.Errorf("veth %s of the job is still on the host after down said the network is removed", veth)
	}
	assertProjectGone(t, env, project)
}

// awaitSameNetns waits until process pid has entered the network namespace of process
// of (nsenter joins it before it execs its command).
func awaitSameNetns(t *testing.T, pid, of int) {
	t.Helper()
	want, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", of))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid)); got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d did not join the network namespace %s", pid, want)
		}
		time.Sleep(10 * time.Millisecond) // the kernel has no event for a setns
	}
}
