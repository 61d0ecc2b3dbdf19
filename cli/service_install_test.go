package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/cli/systemd"
)

// unitDirEnvFor points service commands at a fresh unit directory.
func unitDirEnvFor(t *testing.T) (map[string]string, string) {
	t.Helper()
	dir := t.TempDir()
	return map[string]string{unitDirEnv: dir}, dir
}

// fakeSystemd makes systemd manage every unit directory for the test and records the
// systemctl calls; fail makes the calls whose first word it names fail.
func fakeSystemd(t *testing.T, fail string) *[]string {
	t.Helper()
	var calls []string
	saved := serviceManager
	serviceManager = systemdHost{
		manages: func(string) bool { return true },
		systemctl: func(_ *session, args ...string) error {
			calls = append(calls, strings.Join(args, " "))
			if args[0] == fail {
				return errors.New("systemctl " + strings.Join(args, " ") + ": exit status 1")
			}
			return nil
		},
	}
	t.Cleanup(func() { serviceManager = saved })
	return &calls
}

func TestServiceInstallWritesTheUnit(t *testing.T) {
	env, dir := unitDirEnvFor(t)
	path := serviceManifest(t, "shop", chainStack)
	r := run(t, env, "-f", path, "service", "install")
	unit := filepath.Join(dir, "lsctl-svc.service")
	if r.code != 0 || !strings.Contains(r.stdout, "wrote "+unit+"\n") ||
		!strings.Contains(r.stdout, unitDirEnv+" is set, so systemd was not told; where systemd reads the unit, run: "+
			"systemctl daemon-reload && systemctl enable lsctl-svc.service\n") {
		t.Fatalf("install: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	st, err := os.Stat(unit)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("unit file: %v, mode %v; want 0644", err, st.Mode())
	}
	got, _ := os.ReadFile(unit)
	if printed := run(t, env, "-f", path, "service", "print"); string(got) != printed.stdout {
		t.Errorf("installed unit differs from service print:\n%s\n---\n%s", got, printed.stdout)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("unit directory holds %d entries, want only the unit (no temporary file)", len(entries))
	}
	if r := run(t, env, "-f", path, "service", "install"); r.code != 0 || !strings.Contains(r.stdout, unit+" is up to date") {
		t.Errorf("second install: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, env, "-f", path, "service", "install", "--name", "other-name", "--grace", "20s")
	if b, err := os.ReadFile(filepath.Join(dir, "other-name.service")); r.code != 0 || err != nil ||
		!strings.Contains(string(b), "TimeoutStopSec=120\n") {
		t.Errorf("install --name --grace: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
}

// A unit lsctl did not write, or one of another project, is never overwritten.
func TestServiceInstallRefusesOtherUnits(t *testing.T) {
	env, dir := unitDirEnvFor(t)
	path := serviceManifest(t, "shop", chainStack)
	unit := filepath.Join(dir, "lsctl-svc.service")
	others := map[string]string{
		"foreign":       "[Service]\nExecStart=/bin/true\n",
		"other project": (&systemd.Unit{Name: "lsctl-svc.service", Project: "other"}).Render(),
	}
	wants := map[string][]string{
		"foreign":       {"exists and was not written by lsctl", "--name", "remove that file"},
		"other project": {`runs lsctl project "other"`, "--name", "lsctl service uninstall"},
	}
	for name, content := range others {
		if err := os.WriteFile(unit, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		r := run(t, env, "-f", path, "service", "install")
		for _, w := range wants[name] {
			if r.code != 1 || !strings.Contains(r.stderr, w) {
				t.Errorf("%s: exit %d, stderr %q; want 1 and %q", name, r.code, r.stderr, w)
			}
		}
		if b, _ := os.ReadFile(unit); string(b) != content {
			t.Errorf("%s: the existing unit was changed", name)
		}
	}
}

func TestServiceUninstall(t *testing.T) {
	env, dir := unitDirEnvFor(t)
	path := serviceManifest(t, "shop", chainStack)
	unit := filepath.Join(dir, "lsctl-svc.service")
	if r := run(t, env, "-f", path, "service", "install"); r.code != 0 {
		t.Fatalf("install: %s", r.stderr)
	}
	// What `systemctl enable` makes, after WantedBy=.
	link := filepath.Join(dir, wantsDir, "lsctl-svc.service")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(unit, link); err != nil {
		t.Fatal(err)
	}
	r := run(t, env, "-f", path, "service", "uninstall")
	if r.code != 0 || r.stdout != "removed "+unit+"\n" {
		t.Errorf("uninstall: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, p := range []string{unit, link} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after uninstall (%v)", p, err)
		}
	}
	r = run(t, env, "-f", path, "service", "uninstall")
	if r.code != 0 || !strings.Contains(r.stdout, "lsctl-svc.service is not installed (no "+unit+"): nothing to do") {
		t.Errorf("second uninstall: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Without a manifest, --name says which unit.
	if r := run(t, env, "-f", path, "service", "install"); r.code != 0 {
		t.Fatalf("install: %s", r.stderr)
	}
	r = run(t, env, "-f", filepath.Join(dir, "absent.yml"), "service", "uninstall", "--name", "lsctl-svc")
	if r.code != 0 || r.stdout != "removed "+unit+"\n" {
		t.Errorf("uninstall --name: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestServiceUninstallRefusesOtherUnits(t *testing.T) {
	env, dir := unitDirEnvFor(t)
	path := serviceManifest(t, "shop", chainStack)
	unit := filepath.Join(dir, "lsctl-svc.service")
	foreign := "[Service]\nExecStart=/bin/true\n"
	if err := os.WriteFile(unit, []byte(foreign), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, env, "-f", path, "service", "uninstall")
	if b, _ := os.ReadFile(unit); r.code != 1 || !strings.Contains(r.stderr, "was not written by lsctl; not removing it") || string(b) != foreign {
		t.Errorf("foreign unit: exit %d, stderr %q; want 1 and the file kept", r.code, r.stderr)
	}
	other := (&systemd.Unit{Name: "lsctl-svc.service", Project: "other"}).Render()
	if err := os.WriteFile(unit, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(t, env, "-f", path, "service", "uninstall")
	if _, err := os.Stat(unit); r.code != 1 || !strings.Contains(r.stderr, "lsctl service uninstall --name lsctl-svc.service") || err != nil {
		t.Errorf("unit of another project: exit %d, stderr %q; want 1, the fix, and the file kept", r.code, r.stderr)
	}
	if r := run(t, env, "-f", path, "service", "uninstall", "--name", "lsctl-svc.service"); r.code != 0 {
		t.Errorf("uninstall --name of another project's unit: exit %d, %s", r.code, r.stderr)
	}
}

// Where systemd runs, install reloads it and enables the unit, and uninstall stops
// and disables it before removing the file.
func TestServiceTalksToSystemd(t *testing.T) {
	calls := fakeSystemd(t, "")
	env, dir := unitDirEnvFor(t)
	path := serviceManifest(t, "shop", chainStack)
	r := run(t, env, "-f", path, "service", "install", "--now")
	if want := []string{"daemon-reload", "enable --now lsctl-svc.service"}; r.code != 0 || !reflect.DeepEqual(*calls, want) {
		t.Errorf("install --now: exit %d, systemctl %q, want %q\n%s", r.code, *calls, want, r.stderr)
	}
	if !strings.Contains(r.stdout, "enabled lsctl-svc.service: the stack starts at boot") {
		t.Errorf("install output:\n%s", r.stdout)
	}
	*calls = nil
	r = run(t, env, "-f", path, "service", "install")
	if want := []string{"enable lsctl-svc.service"}; r.code != 0 || !reflect.DeepEqual(*calls, want) {
		t.Errorf("unchanged install: systemctl %q, want %q (no reload)", *calls, want)
	}
	*calls = nil
	r = run(t, env, "-f", path, "service", "install", "--grace", "3s")
	if r.code != 0 || !strings.Contains(r.stdout, "restart it to apply the change: systemctl restart lsctl-svc.service") {
		t.Errorf("changed install: exit %d\n%s", r.code, r.stdout)
	}
	*calls = nil
	r = run(t, env, "-f", path, "service", "uninstall")
	if want := []string{"disable --now lsctl-svc.service", "daemon-reload"}; r.code != 0 || !reflect.DeepEqual(*calls, want) {
		t.Errorf("uninstall: exit %d, systemctl %q, want %q\n%s", r.code, *calls, want, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "lsctl-svc.service")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unit left after uninstall: %v", err)
	}
}

// A unit systemd could not stop stays, so uninstall can be run again.
func TestServiceUninstallKeepsUnitWhenSystemctlFails(t *testing.T) {
	fakeSystemd(t, "disable")
	env, dir := unitDirEnvFor(t)
	path := serviceManifest(t, "shop", chainStack)
	if r := run(t, env, "-f", path, "service", "install"); r.code != 0 {
		t.Fatalf("install: %s", r.stderr)
	}
	r := run(t, env, "-f", path, "service", "uninstall")
	if _, err := os.Stat(filepath.Join(dir, "lsctl-svc.service")); r.code != 1 || err != nil ||
		!strings.Contains(r.stderr, "is kept, run this again once systemctl succeeds") {
		t.Errorf("exit %d, stderr %q, unit %v; want 1 and the unit kept", r.code, r.stderr, err)
	}
}

func TestServiceHintWithoutSystemd(t *testing.T) {
	var out bytes.Buffer
	(&session{stdout: &out}).printSystemctlHint(defaultUnitDir, "daemon-reload && systemctl enable x.service")
	want := "systemd is not running here (no /run/systemd/system); on a host booted with systemd, run: " +
		"systemctl daemon-reload && systemctl enable x.service\n"
	if out.String() != want {
		t.Errorf("hint %q, want %q", out.String(), want)
	}
}
