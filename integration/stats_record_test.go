package integration

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/containerd/cgroups/v3/cgroup1/stats" // registers the metrics types for UnmarshalAny
	_ "github.com/containerd/cgroups/v3/cgroup2/stats"
	"github.com/containerd/typeurl/v2"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

var recordMetrics = flag.Bool("record", false, "record a task's metrics into containerdrt/testdata/metrics (TestRecordTaskMetrics)")

// metricsWorkload makes a busybox container use CPU, memory (page cache and a
// tmpfs file), the network (HTTP to web) and the disk (a synced file), so that every
// counter lsctl stats reads is above zero in the recording.
const metricsWorkload = `i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done
head -c 8388608 /dev/urandom > /dev/shm/anon
head -c 16777216 /dev/zero > /var/blob && sync && cat /var/blob > /dev/null
for n in 1 2 3 4 5; do wget -qO/dev/null http://web:8080/; done
sleep 1 & sleep 1 & echo done`

// TestRecordTaskMetrics records what containerd reports as the metrics of a task
// that did some work, for the parser's test in containerdrt (TestSampleOfMetrics):
// testdata/metrics/cgroup<version>.json (the cgroup1 or cgroup2 stats message as
// protojson, the version being the host's) and cgroup<version>-netdev.txt (the task's
// /proc/<pid>/net/dev). It runs only when asked:
//
//	eval "$(integration/provision.sh env)"; LSCTL_INTEGRATION=1 \
//	  go test -count=1 -run TestRecordTaskMetrics ./integration/ -args -record
//
// then update the expectations of TestSampleOfMetrics from the new files.
func TestRecordTaskMetrics(t *testing.T) {
	if !*recordMetrics {
		t.Skip("records testdata only with -record")
	}
	env := harness.Require(t)
	const project = "clirecord"
	dir := dayStack(t, env, project)
	if code, out, errOut := cliRun(t, env, dir, "exec", "shell", "--", "sh", "-c", metricsWorkload); code != 0 || out != "done\n" {
		t.Fatalf("workload: exit %d\n%s%s", code, out, errOut)
	}
	c, ctx := ctrClient(t, env)
	ctr, err := c.LoadContainer(ctx, plan.ContainerID(project, "shell"))
	if err != nil {
		t.Fatal(err)
	}
	task, err := ctr.Task(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := task.Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data, err := typeurl.UnmarshalAny(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	msg, ok := data.(proto.Message)
	if !ok {
		t.Fatalf("metrics of type %T", data)
	}
	version := map[string]string{"io.containerd.cgroups.v1.Metrics": "1", "io.containerd.cgroups.v2.Metrics": "2"}[string(msg.ProtoReflect().Descriptor().FullName())]
	if version == "" {
		t.Fatalf("unknown metrics message %s", msg.ProtoReflect().Descriptor().FullName())
	}
	js, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	netdev, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/dev", task.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join("..", "containerdrt", "testdata", "metrics")
	for name, b := range map[string][]byte{"cgroup" + version + ".json": append(js, '\n'), "cgroup" + version + "-netdev.txt": netdev} {
		if err := os.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %s", filepath.Join(out, name))
	}
}
