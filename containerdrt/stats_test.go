package containerdrt

import (
	"os"
	"strings"
	"testing"
	"time"

	v1 "github.com/containerd/cgroups/v3/cgroup1/stats"
	v2 "github.com/containerd/cgroups/v3/cgroup2/stats"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Issue 13 (lsctl stats): the metrics containerd reports for a task read as the
// Sample docker stats would show. cgroup1.json is a recording: a busybox task on the
// test containerd after CPU, memory, network and disk work (integration
// TestRecordTaskMetrics, `-args -record`, re-records it; this host mounts cgroup v1,
// whose blkio accounts no I/O at all, not even at its root, so blkio is empty). cgroup2.json is in the
// shape containerd's cgroup2 manager fills (a postgres-sized task with a 512 MiB
// limit): no host here can record v2 metrics, whose every resource controller is
// bound to v1; run the recorder on a cgroup v2 host to replace it.
func TestSampleOfMetrics(t *testing.T) {
	tests := []struct {
		file string
		msg  proto.Message
		want Sample
	}{
		// Recorded: cpu.usage.total; memory usage.usage less total_inactive_file (the
		// page cache of the 16 MiB file read back); the unlimited limit as reported.
		{"cgroup1.json", &v1.Metrics{}, Sample{CPU: 595289112, MemUsage: 26279936 - 16732160, MemLimit: 9223372036854771712, PIDs: 2}},
		{"cgroup2.json", &v2.Metrics{}, Sample{CPU: 2317548 * time.Microsecond, MemUsage: 67633152 - 29589504, MemLimit: 536870912,
			BlockRead: 31002624 + 4096, BlockWrite: 50466816 + 8192, PIDs: 7}},
	}
	for _, tt := range tests {
		data, err := os.ReadFile("testdata/metrics/" + tt.file)
		if err != nil {
			t.Fatal(err)
		}
		if err := protojson.Unmarshal(data, tt.msg); err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		got, err := sampleOf(tt.msg)
		if err != nil || got != tt.want {
			t.Errorf("%s: got %+v (%v), want %+v", tt.file, got, err, tt.want)
		}
	}
	if _, err := sampleOf("something else"); err == nil {
		t.Error("an unknown metrics type was read")
	}
}

// cgroup v1 block I/O counts the Read and Write entries of io_service_bytes_recursive.
func TestSampleV1BlockIO(t *testing.T) {
	m := &v1.Metrics{Blkio: &v1.BlkIOStat{IoServiceBytesRecursive: []*v1.BlkIOEntry{
		{Op: "Read", Value: 100}, {Op: "Write", Value: 20}, {Op: "Sync", Value: 7}, {Op: "Total", Value: 120}, {Op: "Read", Value: 1},
	}}}
	if s := sampleV1(m); s.BlockRead != 101 || s.BlockWrite != 20 {
		t.Errorf("got read %d write %d", s.BlockRead, s.BlockWrite)
	}
}

// The network counters of the recorded task (cgroup1-netdev.txt, recorded with
// cgroup1.json): eth0's five HTTP requests to web, lo left out.
func TestNetCountersRecorded(t *testing.T) {
	f, err := os.Open("testdata/metrics/cgroup1-netdev.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if rx, tx := netCounters(f); rx != 5289 || tx != 2955 {
		t.Errorf("rx %d tx %d, want 5289 2955", rx, tx)
	}
}

// Network counters sum every interface of /proc/<pid>/net/dev but lo.
func TestNetCounters(t *testing.T) {
	dev := `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0:   52371     412    0    0    0     0          0         0    13208     120    0    0    0     0       0          0
  eth1:       9       1    0    0    0     0          0         0        3       1    0    0    0     0       0          0
`
	if rx, tx := netCounters(strings.NewReader(dev)); rx != 52380 || tx != 13211 {
		t.Errorf("rx %d tx %d", rx, tx)
	}
}
