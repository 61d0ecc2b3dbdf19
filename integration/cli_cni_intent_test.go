package integration

import (
	"encoding/json"
	"fmt"
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

// slowPortmapCNI is a CNI plugin directory whose portmap plugin, the last of the
// chain, marks that it started, waits a moment, then runs the real one: lsctl can be
// killed during the ADD, after the bridge plugin has set up the veth and address.
func slowPortmapCNI(t *testing.T, real string) (dir, marker string) {
	t.Helper()
	dir = t.TempDir()
	marker = filepath.Join(dir, "portmap-started")
	entries, err := os.ReadDir(real)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "portmap" {
			continue
		}
		if err := os.Symlink(filepath.Join(real, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	script := fmt.Sprintf("#!/bin/sh\nif [ \"$CNI_COMMAND\" = ADD ]; then touch %s; sleep 2; fi\nexec %s \"$@\"\n", marker, filepath.Join(real, "portmap"))
	if err := os.WriteFile(filepath.Join(dir, "portmap"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, marker
}

// Issue 12 item 4: an up killed while the CNI plugins connect a container leaves
// their iptables rules and address with nothing in libcni's cache, which is written
// only after the ADD; lsctl records the ADD's intent first, so down undoes it.
func TestCLIDownUndoesAnInterruptedConnect(t *testing.T) {
	env := harness.Require(t)
	const project = "cliintent"
	dir := cliWriteManifest(t, fmt.Sprintf(`project: {name: %s}
resources:
  web:
    container:
      image: %s
      ports: ["18088:8080"]
`, project, harness.ImageRef("app")))
	cliLoadImages(t, env, dir, "app")
	cni, marker := slowPortmapCNI(t, env.CNIPath)
	up := exec.Command(harness.Binary(t), "up", "--pull", "never")
	up.Dir = dir
	up.Env = append(append(os.Environ(), env.Environ(t)...), "CNI_PATH="+cni)
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = up.Process.Kill(); cliRun(t, env, dir, "down") })
	awaitFile(t, marker, 60*time.Second)
	if err := up.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = up.Wait()
	intents, _ := filepath.Glob(filepath.Join(env.DataRoot, "cni", "cache", "lsctl-intent-*.json"))
	if len(intents) != 1 {
		t.Fatalf("intents recorded: %v", intents)
	}
	var in struct {
		ContainerID string `json:"container_id"`
		Capability  struct {
			IPs []string `json:"ips"`
		} `json:"capability_args"`
	}
	data, _ := os.ReadFile(intents[0])
	if json.Unmarshal(data, &in) != nil || in.ContainerID != plan.ContainerID(project, "web") || len(in.Capability.IPs) != 1 {
		t.Fatalf("intent %s", data)
	}
	ip := strings.TrimSuffix(in.Capability.IPs[0], "/24")
	// The portmap plugin, which lsctl started, finishes the ADD on its own: the kill
	// interrupted the ADD half-way, with nothing in libcni's cache.
	waitForCLI(t, func() bool { return len(iptablesLinesWith(t, []string{"18088"})) > 0 })
	code, out, errOut := cliRun(t, env, dir, "down")
	if code != 0 {
		t.Errorf("down: exit %d\n%s%s", code, out, errOut)
	}
	if left := iptablesLinesWith(t, []string{"18088", " " + ip + "/32 ", " " + ip + ":"}); len(left) > 0 {
		t.Errorf("rules of the interrupted connect left after down:\n%s", strings.Join(left, "\n"))
	}
	assertProjectGone(t, env, project)
}
