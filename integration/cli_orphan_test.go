package integration

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/api/services/tasks/v1"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// sleeperManifest is a project of one busybox container, job, that sleeps.
func sleeperManifest(project string) string {
	return fmt.Sprintf(`project: {name: %s}
resources:
  job:
    container:
      image: %s
      command: "exec sleep 3600"
`, project, harness.ImageRef("busybox"))
}

// orphanTask brings a one-container stack up, kills its supervisor, and deletes the
// container record under the running task, as containerd dying in the middle of a
// create leaves it: a shim and a task that no container list shows.
func orphanTask(t *testing.T, env *harness.Env, dir, project string) {
	t.Helper()
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 0 {
		t.Fatalf("up -d: exit %d\n%s%s", code, out, errOut)
	}
	pid, _ := supervisorOf(t, out)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	awaitGone(t, pid, 10*time.Second)
	c, ctx := ctrClient(t, env)
	id := plan.ContainerID(project, "job")
	if err := c.ContainerService().Delete(ctx, id); err != nil {
		t.Fatalf("delete the container record of %s: %v", id, err)
	}
	resp, err := c.TaskService().List(ctx, &tasks.ListTasksRequest{})
	if err != nil || len(resp.Tasks) != 1 || resp.Tasks[0].ID != id {
		t.Fatalf("want the orphaned task %s alone, got %v (%v)", id, resp.GetTasks(), err)
	}
}

// Issue 12 item 2: a task left without its container (containerd died in the middle
// of a create) no longer wedges the project: up recreates the container, and down
// finds and removes such a task, with lsctl's leases.
func TestCLIOrphanedTask(t *testing.T) {
	env := harness.Require(t)
	const project = "cliorph"
	dir := cliWriteManifest(t, sleeperManifest(project))
	cliLoadImages(t, env, dir, "busybox")
	t.Cleanup(func() { cliRun(t, env, dir, "down") })

	orphanTask(t, env, dir, project)
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 0 || !strings.Contains(out, "job: running") {
		t.Fatalf("up -d over an orphaned task: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = cliRun(t, env, dir, "down")
	if code != 0 {
		t.Fatalf("down: exit %d\n%s%s", code, out, errOut)
	}

	orphanTask(t, env, dir, project)
	code, out, errOut = cliRun(t, env, dir, "down")
	want := fmt.Sprintf("[%s] removed task %s, left without its container by a crash", project, plan.ContainerID(project, "job"))
	if code != 0 || !strings.Contains(out, want) {
		t.Errorf("down with an orphaned task: exit %d\n%s%s", code, out, errOut)
	}
	c, ctx := ctrClient(t, env)
	if resp, err := c.TaskService().List(ctx, &tasks.ListTasksRequest{}); err != nil || len(resp.Tasks) != 0 {
		t.Errorf("tasks left after down: %v (%v)", resp.GetTasks(), err)
	}
	leases, err := c.LeasesService().List(ctx, fmt.Sprintf(`labels."lightshuttle.project"==%s`, project))
	if err != nil || len(leases) != 0 {
		t.Errorf("leases of the project left after down: %v (%v)", leases, err)
	}
	assertProjectGone(t, env, project)
}
