package containerdrt

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	v1 "github.com/containerd/cgroups/v3/cgroup1/stats"
	v2 "github.com/containerd/cgroups/v3/cgroup2/stats"
	"github.com/containerd/typeurl/v2"
)

// Sample is one reading of a container's resource use (`lsctl stats`). CPU and the
// byte counters are cumulative: rates come from two samples.
type Sample struct {
	At                    time.Time
	CPU                   time.Duration // CPU time used by the container's processes
	MemUsage, MemLimit    uint64        // bytes; the limit is the host's memory when none is set
	NetRx, NetTx          uint64        // bytes, every interface but lo
	BlockRead, BlockWrite uint64        // bytes
	PIDs                  uint64
}

// Stats reads the task's cgroup metrics from containerd (cgroup v1 or v2) and its
// network counters from its network namespace (`lsctl stats`).
func (c *Client) Stats(ctx context.Context, id string) (Sample, error) {
	s, pid, err := c.cgroupSample(ctx, id)
	if err != nil {
		return Sample{}, err
	}
	if host := hostMemory(); host > 0 && (s.MemLimit == 0 || s.MemLimit > host) {
		s.MemLimit = host
	}
	if f, err := os.Open(fmt.Sprintf("/proc/%d/net/dev", pid)); err == nil {
		s.NetRx, s.NetTx = netCounters(f)
		f.Close()
	}
	return s, nil
}

// cgroupSample reads the task's cgroup metrics, and returns its PID; a container
// without a running task is ErrNotFound.
func (c *Client) cgroupSample(ctx context.Context, id string) (Sample, uint32, error) {
	task, _, err := c.loadTask(ctx, id)
	if err != nil {
		return Sample{}, 0, err
	}
	if task == nil {
		return Sample{}, 0, fmt.Errorf("stats of %s: container has no running task: %w", id, ErrNotFound)
	}
	m, err := task.Metrics(ctx)
	if err != nil {
		return Sample{}, 0, c.wrapUnavailable(fmt.Errorf("stats of %s: %w", id, err))
	}
	data, err := typeurl.UnmarshalAny(m.Data)
	if err != nil {
		return Sample{}, 0, fmt.Errorf("stats of %s: decode metrics: %w", id, err)
	}
	s, err := sampleOf(data)
	if err != nil {
		return Sample{}, 0, fmt.Errorf("stats of %s: %w", id, err)
	}
	s.At = time.Now()
	if m.Timestamp != nil {
		s.At = m.Timestamp.AsTime()
	}
	return s, task.Pid(), nil
}

// sampleOf reads a decoded metrics message of either cgroup version.
func sampleOf(data any) (Sample, error) {
	switch m := data.(type) {
	case *v1.Metrics:
		return sampleV1(m), nil
	case *v2.Metrics:
		return sampleV2(m), nil
	}
	return Sample{}, fmt.Errorf("unknown metrics type %T", data)
}

// sampleV1 reads cgroup v1 metrics. Memory use leaves out the inactive file cache,
// which the kernel reclaims first, as docker stats does.
func sampleV1(m *v1.Metrics) Sample {
	s := Sample{
		CPU:  time.Duration(m.GetCPU().GetUsage().GetTotal()),
		PIDs: m.GetPids().GetCurrent(),
	}
	mem := m.GetMemory()
	s.MemUsage = sub(mem.GetUsage().GetUsage(), mem.GetTotalInactiveFile())
	s.MemLimit = mem.GetUsage().GetLimit()
	for _, e := range m.GetBlkio().GetIoServiceBytesRecursive() {
		switch strings.ToLower(e.GetOp()) {
		case "read":
			s.BlockRead += e.GetValue()
		case "write":
			s.BlockWrite += e.GetValue()
		}
	}
	return s
}

// sampleV2 reads cgroup v2 metrics.
func sampleV2(m *v2.Metrics) Sample {
	s := Sample{
		CPU:  time.Duration(m.GetCPU().GetUsageUsec()) * time.Microsecond,
		PIDs: m.GetPids().GetCurrent(),
	}
	mem := m.GetMemory()
	s.MemUsage = sub(mem.GetUsage(), mem.GetInactiveFile())
	s.MemLimit = mem.GetUsageLimit()
	for _, e := range m.GetIo().GetUsage() {
		s.BlockRead += e.GetRbytes()
		s.BlockWrite += e.GetWbytes()
	}
	return s
}

// netCounters sums the received and sent bytes of every interface but lo in a
// /proc/<pid>/net/dev file.
func netCounters(r io.Reader) (rx, tx uint64) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, counters, ok := strings.Cut(sc.Text(), ":")
		f := strings.Fields(counters)
		if !ok || strings.TrimSpace(name) == "lo" || len(f) < 9 {
			continue // the two header lines, loopback
		}
		r, _ := strconv.ParseUint(f[0], 10, 64)
		t, _ := strconv.ParseUint(f[8], 10, 64)
		rx, tx = rx+r, tx+t
	}
	return rx, tx
}

// hostMemory is MemTotal of /proc/meminfo in bytes, 0 when unknown.
func hostMemory() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.ParseUint(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}
