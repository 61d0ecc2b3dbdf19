package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"runtime/trace"
)

// profileDirEnv names a directory where every lsctl process writes a CPU profile and
// an execution trace of its whole life (docs/troubleshooting.md "Profiling lsctl"):
// the way to see what `up -d` spends its time on across the command and the
// supervisor it starts. Unset, profiling costs nothing.
const profileDirEnv = "LSCTL_PROFILE_DIR"

// startProfiling starts the CPU profile and the execution trace of this process into
// <dir>/<role>-<pid>.{cpu.pprof,trace} when LSCTL_PROFILE_DIR is set, and returns
// what stops them. A profile that cannot be written is reported, never fatal.
func startProfiling(lookupEnv func(string) (string, bool), role string) (stop func()) {
	dir, ok := lookupEnv(profileDirEnv)
	if !ok || dir == "" {
		return func() {}
	}
	base := filepath.Join(dir, fmt.Sprintf("%s-%d", role, os.Getpid()))
	cpu, err := os.Create(base + ".cpu.pprof")
	if err != nil {
		fmt.Fprintf(os.Stderr, "warning: %s: %v; not profiling\n", profileDirEnv, err)
		return func() {}
	}
	tr, err := os.Create(base + ".trace")
	if err != nil {
		cpu.Close()
		fmt.Fprintf(os.Stderr, "warning: %s: %v; not profiling\n", profileDirEnv, err)
		return func() {}
	}
	cpuErr := pprof.StartCPUProfile(cpu)
	trErr := trace.Start(tr)
	return func() {
		if cpuErr == nil {
			pprof.StopCPUProfile()
		}
		if trErr == nil {
			trace.Stop()
		}
		cpu.Close()
		tr.Close()
	}
}

// traceSteps marks the consecutive steps of one goroutine as regions of the execution
// trace, so that `go tool trace` shows where a command's wall time goes. Without
// LSCTL_PROFILE_DIR the regions cost a flag check.
type traceSteps struct {
	ctx    context.Context
	region *trace.Region
}

// next ends the current step and begins the one named.
func (t *traceSteps) next(name string) {
	t.end()
	t.region = trace.StartRegion(t.ctx, name)
}

// end ends the current step.
func (t *traceSteps) end() {
	if t.region != nil {
		t.region.End()
		t.region = nil
	}
}
