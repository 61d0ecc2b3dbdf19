package containerdrt

import (
	"context"
	"slices"
	"testing"

	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/apparmor"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lightshuttle/lsctl/plan"
)

func generateSpec(t *testing.T, in specInput) *oci.Spec {
	t.Helper()
	ctx := namespaces.WithNamespace(context.Background(), "test")
	s, err := oci.GenerateSpec(ctx, nil, &containers.Container{ID: "shop_db"}, specOpts(in)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// docs/spec/runtime.md §3.1: process, hostname, netns, mounts and Docker's security defaults.
func TestSpecFromProcess(t *testing.T) {
	in := specInput{
		Proc: plan.Process{
			Args: []string{"redis-server", "--port", "6379"},
			Env:  []string{"PATH=/bin", "HOSTNAME=cache", "A=1"},
			Cwd:  "/data",
		},
		Hostname:  "cache",
		NetnsPath: "/run/lsctl/netns/ns/shop_cache",
		Mounts:    []specs.Mount{{Destination: "/etc/hosts", Source: "/x/hosts", Type: "bind", Options: []string{"rbind", "ro"}}},
	}
	s := generateSpec(t, in)
	if !slices.Equal(s.Process.Args, in.Proc.Args) {
		t.Errorf("args = %q", s.Process.Args)
	}
	if !slices.Equal(s.Process.Env, in.Proc.Env) {
		t.Errorf("env = %q, want exactly the merged env", s.Process.Env)
	}
	if s.Process.Cwd != "/data" || s.Hostname != "cache" || s.Process.Terminal {
		t.Errorf("cwd %q hostname %q terminal %v", s.Process.Cwd, s.Hostname, s.Process.Terminal)
	}
	if s.Process.User.UID != 0 || s.Process.User.GID != 0 {
		t.Errorf("user = %+v, want root", s.Process.User)
	}
	var netns string
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace {
			netns = ns.Path
		}
	}
	if netns != in.NetnsPath {
		t.Errorf("network namespace path = %q", netns)
	}
	if !slices.ContainsFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == "/etc/hosts" }) {
		t.Error("hosts mount missing")
	}
	for k, v := range containerSysctls {
		if s.Linux.Sysctl[k] != v {
			t.Errorf("sysctl %s = %q, want %q", k, s.Linux.Sysctl[k], v)
		}
	}
}

// docs/spec/runtime.md §17 item 73: Docker's default capabilities, seccomp profile, masked paths.
func TestSpecSecurityDefaults(t *testing.T) {
	s := generateSpec(t, specInput{Proc: plan.Process{Args: []string{"sh"}, Cwd: "/"}})
	dockerCaps := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
		"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
		"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}
	for _, set := range [][]string{s.Process.Capabilities.Bounding, s.Process.Capabilities.Effective, s.Process.Capabilities.Permitted} {
		for _, c := range set {
			if !slices.Contains(dockerCaps, c) {
				t.Errorf("capability %s beyond Docker's default set", c)
			}
		}
	}
	if len(s.Process.Capabilities.Bounding) != len(dockerCaps) {
		t.Errorf("bounding set = %v", s.Process.Capabilities.Bounding)
	}
	if s.Linux.Seccomp == nil || s.Linux.Seccomp.DefaultAction != specs.ActErrno {
		t.Errorf("seccomp = %+v, want the default profile", s.Linux.Seccomp)
	}
	if s.Process.NoNewPrivileges {
		t.Error("noNewPrivileges set; Docker does not set it")
	}
	for _, p := range maskedPaths {
		if !slices.Contains(s.Linux.MaskedPaths, p) {
			t.Errorf("%s not masked", p)
		}
	}
	for _, p := range readonlyPaths {
		if !slices.Contains(s.Linux.ReadonlyPaths, p) {
			t.Errorf("%s not read-only", p)
		}
	}
	if len(s.Linux.Sysctl) != 0 {
		t.Errorf("sysctls %v set without a network namespace of our own", s.Linux.Sysctl)
	}
	var shm []string
	for _, m := range s.Mounts {
		if m.Destination == "/dev/shm" {
			shm = m.Options
		}
	}
	if !slices.Contains(shm, "size=65536k") {
		t.Errorf("/dev/shm options %q, want 64 MiB", shm)
	}
}

// docs/spec/runtime.md §3.1: the AppArmor profile is named after the lsctl version (each version
// loads its own once), and a host without AppArmor gets none, without an error.
func TestAppArmorProfile(t *testing.T) {
	for version, want := range map[string]string{
		"":                    "lsctl-default-dev",
		"v1.2.0":              "lsctl-default-v1.2.0",
		"v0.0.0-2026+dirty/x": "lsctl-default-v0.0.0-2026_dirty_x",
	} {
		if got := appArmorProfileName(version); got != want {
			t.Errorf("appArmorProfileName(%q) = %q, want %q", version, got, want)
		}
	}
	c := &Client{opts: Options{Version: "v1.2.0"}}
	if apparmor.HostSupports() {
		if got := c.appArmorProfile(); got != "lsctl-default-v1.2.0" {
			t.Errorf("profile on an AppArmor host = %q", got)
		}
		return
	}
	if got := c.appArmorProfile(); got != "" {
		t.Errorf("profile on a host without AppArmor = %q, want none", got)
	}
	if s := generateSpec(t, specInput{Proc: plan.Process{Args: []string{"sh"}, Cwd: "/"}, AppArmor: c.appArmorProfile()}); s.Process.ApparmorProfile != "" {
		t.Errorf("spec names AppArmor profile %q on a host without AppArmor", s.Process.ApparmorProfile)
	}
}
