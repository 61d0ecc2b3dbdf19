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

// Issue 13 (lsctl stats): the metrics containerd reports for a task on cgroup v1
// (testdata/metrics/cgroup1.json, recorded from a busybox task on this kind of host)
// and on cgroup v2 (cgroup2.json, in the shape containerd's cgroup2 manager fills, a
// postgres-sized task with a 512 MiB limit) read as the same Sample.
func TestSampleOfMetrics(t *testing.T) {
	tests := []struct {
		file string
		msg  proto.Message
		want Sample
	}{
		{"cgroup1.json", &v1.Metrics{}, Sample{CPU: 14243273252, MemUsage: 5242880 - 4259840, MemLimit: 9223372036854771712, PIDs: 2}},
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
