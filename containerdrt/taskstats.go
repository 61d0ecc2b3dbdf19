package containerdrt

import (
	"context"
	"fmt"
	"time"

	v1 "github.com/containerd/cgroups/v3/cgroup1/stats"
	v2 "github.com/containerd/cgroups/v3/cgroup2/stats"
	"github.com/containerd/typeurl/v2"
)

// TaskStats is a running task's resource use, from containerd's task metrics (the
// task's cgroup): what the dashboard shows per resource (runtime.md §20.5).
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
	task, _, err := c.loadTask(ctx, id)
	if err != nil {
		return TaskStats{}, err
	}
	if task == nil {
		return TaskStats{}, fmt.Errorf("stats of %s: container has no running task: %w", id, ErrNotFound)
	}
	m, err := task.Metrics(ctx)
	if err != nil {
		return TaskStats{}, c.wrapUnavailable(fmt.Errorf("stats of %s: %w", id, err))
	}
	data, err := typeurl.UnmarshalAny(m.Data)
	if err != nil {
		return TaskStats{}, fmt.Errorf("stats of %s: decode metrics: %w", id, err)
	}
	st := TaskStats{At: time.Now().UTC()}
	switch v := data.(type) {
	case *v1.Metrics:
		st.CPUNanos = v.GetCPU().GetUsage().GetTotal()
		mem := v.GetMemory()
		st.MemoryBytes = sub(mem.GetUsage().GetUsage(), mem.GetTotalInactiveFile())
		st.MemoryLimit = mem.GetUsage().GetLimit()
	case *v2.Metrics:
		st.CPUNanos = v.GetCPU().GetUsageUsec() * 1000
		mem := v.GetMemory()
		st.MemoryBytes = sub(mem.GetUsage(), mem.GetInactiveFile())
		st.MemoryLimit = mem.GetUsageLimit()
	default:
		return TaskStats{}, fmt.Errorf("stats of %s: unknown metrics type %T", id, data)
	}
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
