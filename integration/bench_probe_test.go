package integration

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lightshuttle/lsctl/containerdrt"
)

// BenchmarkProbeExec measures one healthcheck probe (`true` by exec in a running
// busybox) through containerdrt.Exec, which captures the output through the binary
// log driver (docs/spec/runtime.md §11.1), against the bare client's exec with no stdio,
// alternating in the same run. Probes are on the critical path of every dependency
// level of `lsctl up`, so their overhead shows in the real-stack benchmark's ratio.
func BenchmarkProbeExec(b *testing.B) {
	e := newRTEnv(b)
	p := e.newRTProject(b, "probebench", map[string][]string{"app": {"sleep", "3600"}})
	ctr := p.start(b, "app")
	id := ctr.ID()
	cont, err := e.raw.LoadContainer(e.ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	task, err := cont.Task(e.ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	spec, err := cont.Spec(e.ctx)
	if err != nil {
		b.Fatal(err)
	}
	pspec := *spec.Process
	pspec.Args = []string{"true"}
	var lsctl, floor, lsctlCPU, floorCPU time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start, cpu := time.Now(), selfCPU()
		res, err := e.c.Exec(e.ctx, id, containerdrt.ExecRequest{Argv: []string{"true"}, Timeout: 5 * time.Second})
		if err != nil || res.ExitCode != 0 {
			b.Fatalf("containerdrt Exec: %+v, %v", res, err)
		}
		lsctl, lsctlCPU = lsctl+time.Since(start), lsctlCPU+selfCPU()-cpu
		start, cpu = time.Now(), selfCPU()
		if code, err := bareExec(e.ctx, task, fmt.Sprintf("bare-%d", i), &pspec); err != nil || code != 0 {
			b.Fatalf("bare exec: exit %d, %v", code, err)
		}
		floor, floorCPU = floor+time.Since(start), floorCPU+selfCPU()-cpu
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(lsctl.Microseconds())/n/1000, "lsctl-ms/probe")
	b.ReportMetric(float64(floor.Microseconds())/n/1000, "floor-ms/probe")
	// The client side's own CPU (this process), which the lsctl and floor paths differ in:
	// output FIFOs and their readers against none.
	b.ReportMetric(float64(lsctlCPU.Microseconds())/n/1000, "lsctl-cpu-ms/probe")
	b.ReportMetric(float64(floorCPU.Microseconds())/n/1000, "floor-cpu-ms/probe")
}

// selfCPU is this process's user and system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bareExec runs one exec with no stdio, the least a probe needs, and returns its exit
// code.
// The id gets a process-wide sequence number: reusing a just-deleted exec id once
// hung containerd's Exec call here. Every call is bounded so that nothing hangs.
func bareExec(ctx context.Context, task containerd.Task, id string, pspec *specs.Process) (uint32, error) {
	ctx, cancel := context.WithTimeout(ctx, bareExecTimeout)
	defer cancel()
	id = fmt.Sprintf("%s-%d", id, bareExecSeq.Add(1))
	proc, err := task.Exec(ctx, id, pspec, cio.NullIO)
	if err != nil {
		return 0, err
	}
	defer proc.Delete(context.WithoutCancel(ctx))
	ch, err := proc.Wait(ctx)
	if err != nil {
		return 0, err
	}
	if err := proc.Start(ctx); err != nil {
		return 0, err
	}
	select {
	case st := <-ch:
		return st.ExitCode(), st.Error()
	case <-ctx.Done():
		return 0, fmt.Errorf("exec %s: %w", id, ctx.Err())
	}
}

// bareExecTimeout bounds one bare exec, far above its normal tens of milliseconds.
const bareExecTimeout = 30 * time.Second

var bareExecSeq atomic.Uint64
