package containerdrt

import (
	"context"
	"time"
)

// TaskStats is a running task's resource use, from containerd's task metrics (the
// task's cgroup): what the dashboard shows per resource (docs/spec/runtime.md §20.5).
type TaskStats struct {
	At time.Time `json:"ts"`
	// CPUNanos is the CPU time used since the task started; two samples give a rate.
	CPUNanos uint64 `json:"cpu_ns"`
	// MemoryBytes is the memory in use less the inactive page cache, as docker stats
	// counts it; MemoryLimit is 0 without a limit.
	MemoryBytes uint64 `json:"memory_bytes"`
	MemoryLimit uint64 `json:"memory_limit"`
}

// noLimit is what cgroup v1 reports as the limit of an unlimited cgroup (or more).
const noLimit = 1 << 62

// TaskStats returns the resource use of container id's task; a container without a
// running task is ErrNotFound.
func (c *Client) TaskStats(ctx context.Context, id string) (TaskStats, error) {
	s, _, err := c.cgroupSample(ctx, id)
	if err != nil {
		return TaskStats{}, err
	}
	st := TaskStats{At: time.Now().UTC(), CPUNanos: uint64(s.CPU), MemoryBytes: s.MemUsage, MemoryLimit: s.MemLimit}
	if st.MemoryLimit >= noLimit {
		st.MemoryLimit = 0
	}
	return st, nil
}

func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}
