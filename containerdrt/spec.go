package containerdrt

import (
	"context"
	"slices"

	"github.com/containerd/containerd/v2/contrib/apparmor"
	"github.com/containerd/containerd/v2/contrib/seccomp"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lightshuttle/lsctl/plan"
)

// maskedPaths and readonlyPaths are docs/spec/runtime.md §3.1's lists; containerd's defaults are
// kept and these are ensured on top, so the spec never depends on containerd's version.
var (
	maskedPaths = []string{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
		"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"}
	readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

// containerSysctls are set in the container's own network namespace, as Docker does
// (docs/spec/runtime.md §3.1): unprivileged processes may bind low ports and ping.
var containerSysctls = map[string]string{
	"net.ipv4.ip_unprivileged_port_start": "0",
	"net.ipv4.ping_group_range":           "0 2147483647",
}

// specInput is everything the OCI spec is built from besides containerd's defaults.
type specInput struct {
	Proc      plan.Process
	Hostname  string
	NetnsPath string // "" = a fresh, unconnected network namespace
	Mounts    []specs.Mount
	// AppArmor is the AppArmor profile to load (when missing) and apply; "" = none.
	AppArmor string
	// Terminal gives the process a pseudo-terminal of the console size (one-off
	// containers attached to a terminal).
	Terminal                    bool
	ConsoleWidth, ConsoleHeight uint16
}

// specOpts builds the container's OCI spec on containerd's default Linux spec: process
// from the merged image config, hostname, network namespace, mounts, Docker's default
// seccomp profile, the AppArmor profile where the host has AppArmor, masked and
// read-only paths, and sysctls (docs/spec/runtime.md §3.1). The user
// is resolved against the container's root filesystem, so the container must have its
// snapshot set before the spec is generated.
func specOpts(in specInput) []oci.SpecOpts {
	opts := []oci.SpecOpts{
		oci.WithProcessArgs(in.Proc.Args...),
		withExactEnv(in.Proc.Env),
		oci.WithProcessCwd(in.Proc.Cwd),
		oci.WithHostname(in.Hostname),
	}
	if in.Proc.User != "" {
		opts = append(opts, oci.WithUser(in.Proc.User), oci.WithAdditionalGIDs(in.Proc.User))
	}
	if in.NetnsPath != "" {
		opts = append(opts,
			oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: in.NetnsPath}),
			withSysctls(containerSysctls))
	}
	if len(in.Mounts) > 0 {
		opts = append(opts, oci.WithMounts(in.Mounts))
	}
	if in.AppArmor != "" {
		opts = append(opts, apparmor.WithDefaultProfile(in.AppArmor))
	}
	opts = append(opts, seccomp.WithDefaultProfile(), withSecurityPaths, withDockerProcess)
	if in.Terminal { // after withDockerProcess, which turns the terminal off
		opts = append(opts, oci.WithTTY, withConsoleSize(in.ConsoleWidth, in.ConsoleHeight))
	}
	return opts
}

// withConsoleSize sets the terminal's first size, so that the program's first look at
// it is right; 0 leaves it to the runtime.
func withConsoleSize(width, height uint16) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		if width > 0 && height > 0 && s.Process != nil {
			s.Process.ConsoleSize = &specs.Box{Width: uint(width), Height: uint(height)}
		}
		return nil
	}
}

// captureProcess is the last spec option: it keeps a copy of the finished spec's
// process, so the first probe of a fresh container needs no lookup.
func captureProcess(dst **specs.Process) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		if s.Process != nil {
			p := *s.Process
			*dst = &p
		}
		return nil
	}
}

// withExactEnv replaces the default spec's environment: the merged environment already
// holds PATH (docs/spec/runtime.md §3.1 layer 2).
func withExactEnv(env []string) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		if s.Process == nil {
			s.Process = &specs.Process{}
		}
		s.Process.Env = slices.Clone(env)
		return nil
	}
}

func withSysctls(m map[string]string) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		if s.Linux == nil {
			s.Linux = &specs.Linux{}
		}
		if s.Linux.Sysctl == nil {
			s.Linux.Sysctl = map[string]string{}
		}
		for k, v := range m {
			s.Linux.Sysctl[k] = v
		}
		return nil
	}
}

func withSecurityPaths(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
	if s.Linux == nil {
		s.Linux = &specs.Linux{}
	}
	for _, p := range maskedPaths {
		if !slices.Contains(s.Linux.MaskedPaths, p) {
			s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, p)
		}
	}
	for _, p := range readonlyPaths {
		if !slices.Contains(s.Linux.ReadonlyPaths, p) {
			s.Linux.ReadonlyPaths = append(s.Linux.ReadonlyPaths, p)
		}
	}
	return nil
}

// withDockerProcess: no TTY, no stdin, and noNewPrivileges off as in Docker, because
// images' entrypoints may rely on setuid helpers or file capabilities (docs/spec/runtime.md §3.1);
// containerd's default spec turns it on.
func withDockerProcess(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
	if s.Process != nil {
		s.Process.Terminal = false
		s.Process.NoNewPrivileges = false
	}
	return nil
}
