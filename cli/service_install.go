package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/cli/systemd"
	"github.com/lightshuttle/lsctl/plan"
)

// defaultUnitDir is the administrator's unit directory: systemd reads it before the
// vendor ones, and packages never write there.
const defaultUnitDir = "/etc/systemd/system"

// unitDirEnv names another unit directory (tests, image builders). lsctl then leaves
// systemctl alone: systemd would not find the unit there.
const unitDirEnv = "LSCTL_SYSTEMD_UNIT_DIR"

// wantsDir is where `systemctl enable` links the unit, after its WantedBy=.
const wantsDir = "multi-user.target.wants"

// systemdHost is how lsctl reaches the service manager; tests replace it.
type systemdHost struct {
	// manages reports whether systemd runs here and reads units from dir: it is PID 1
	// (sd_booted(3): /run/systemd/system exists) and dir is the default one.
	manages   func(dir string) bool
	systemctl func(s *session, args ...string) error
}

var serviceManager = systemdHost{
	manages: func(dir string) bool {
		st, err := os.Stat("/run/systemd/system")
		return dir == defaultUnitDir && err == nil && st.IsDir()
	},
	systemctl: func(s *session, args ...string) error {
		cmd := exec.Command("systemctl", args...)
		cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("systemctl %s: %w", strings.Join(args, " "), err)
		}
		return nil
	},
}

// unitDir is where units go, and whether systemd manages that directory here.
func (s *session) unitDir() (dir string, managed bool) {
	dir = defaultUnitDir
	if d, ok := s.lookupEnv(unitDirEnv); ok && d != "" {
		dir = d
	}
	return dir, serviceManager.manages(dir)
}

func (s *session) serviceInstallAction(c *ucli.Context) error {
	o, u, err := s.parseServiceUnit(c)
	if err != nil {
		return err
	}
	dir, managed := s.unitDir()
	path := filepath.Join(dir, u.Name)
	old, exists, err := readUnit(path)
	if err != nil {
		return err
	}
	if exists {
		if err := mayReplace(path, old, u.Project); err != nil {
			return err
		}
	}
	text := u.Render()
	changed := old != text
	if changed {
		if err := writeUnit(path, text); err != nil {
			return err
		}
		fmt.Fprintf(s.stdout, "wrote %s\n", path)
	} else {
		fmt.Fprintf(s.stdout, "%s is up to date\n", path)
	}
	enable := []string{"enable", u.Name}
	if o.Now {
		enable = []string{"enable", "--now", u.Name}
	}
	if !managed {
		s.printSystemctlHint(dir, "daemon-reload && systemctl "+strings.Join(enable, " "))
		return nil
	}
	if err := s.enableUnit(changed, enable); err != nil {
		return err
	}
	fmt.Fprintf(s.stdout, "enabled %s: the stack starts at boot\n", u.Name)
	if exists && changed {
		fmt.Fprintf(s.stdout, "if %s is running, restart it to apply the change: systemctl restart %s\n", u.Name, u.Name)
	}
	return nil
}

// enableUnit has systemd reload a changed unit, then enables it.
func (s *session) enableUnit(changed bool, enable []string) error {
	if changed {
		if err := serviceManager.systemctl(s, "daemon-reload"); err != nil {
			return err
		}
	}
	return serviceManager.systemctl(s, enable...)
}

// printSystemctlHint says why systemd was not told and what to run where it can be.
func (s *session) printSystemctlHint(dir, command string) {
	if dir != defaultUnitDir {
		fmt.Fprintf(s.stdout, "%s is set, so systemd was not told; where systemd reads the unit, run: systemctl %s\n",
			unitDirEnv, command)
		return
	}
	fmt.Fprintf(s.stdout, "systemd is not running here (no /run/systemd/system); on a host booted with systemd, run: systemctl %s\n",
		command)
}

func (s *session) serviceUninstallAction(c *ucli.Context) error {
	o, err := parseServiceOptions(c)
	if err != nil {
		return err
	}
	name, project := o.Name, ""
	if name == "" {
		ld, err := s.load("", false)
		if err != nil {
			return err
		}
		project = ld.manifest.Project.Name.Value
		name = "lsctl-" + project + ".service"
	}
	dir, managed := s.unitDir()
	path := filepath.Join(dir, name)
	text, exists, err := readUnit(path)
	if err != nil {
		return err
	}
	if !exists {
		fmt.Fprintf(s.stdout, "%s is not installed (no %s): nothing to do\n", name, path)
		return removeWantsLink(dir, name)
	}
	owner, ours := systemd.ProjectOf(text)
	switch {
	case !ours:
		return fmt.Errorf("%s was not written by lsctl; not removing it (remove it yourself if it is no longer wanted)", path)
	case project != "" && owner != project:
		return fmt.Errorf("%s runs lsctl project %q, not %q; to remove it anyway, run: lsctl service uninstall --name %s",
			path, owner, project, name)
	}
	if managed {
		fmt.Fprintf(s.stdout, "stopping and disabling %s\n", name)
		if err := serviceManager.systemctl(s, "disable", "--now", name); err != nil {
			return fmt.Errorf("%w; %s is kept, run this again once systemctl succeeds", err, path)
		}
	}
	if err := removeUnit(dir, name); err != nil {
		return err
	}
	if managed {
		if err := serviceManager.systemctl(s, "daemon-reload"); err != nil {
			return err
		}
	}
	fmt.Fprintf(s.stdout, "removed %s\n", path)
	return nil
}

// readUnit reads a unit file; a missing file is not an error.
func readUnit(path string) (text string, exists bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return string(b), true, nil
}

// mayReplace refuses to overwrite a unit lsctl did not write, or one of another project.
func mayReplace(path, text, project string) error {
	owner, ours := systemd.ProjectOf(text)
	if !ours {
		return fmt.Errorf("%s exists and was not written by lsctl; choose another unit name with --name, or remove that file", path)
	}
	if owner != project {
		return fmt.Errorf("%s runs lsctl project %q; choose another unit name with --name, "+
			"or run lsctl service uninstall in that project first", path, owner)
	}
	return nil
}

// writeUnit writes the unit atomically, mode 0644 as systemd expects, and syncs the
// directory: the point of the unit is to be there after a power cut.
func writeUnit(path, text string) error {
	if err := plan.WriteFileAtomic(path, []byte(text), 0o644); err != nil {
		return withRootHint(err)
	}
	return syncDir(filepath.Dir(path))
}

// removeUnit removes the unit and the link `systemctl enable` made, so no dangling
// link is left where systemctl could not run.
func removeUnit(dir, name string) error {
	if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return withRootHint(fmt.Errorf("remove %s: %w", filepath.Join(dir, name), err))
	}
	if err := removeWantsLink(dir, name); err != nil {
		return err
	}
	return syncDir(dir)
}

func removeWantsLink(dir, name string) error {
	link := filepath.Join(dir, wantsDir, name)
	if st, err := os.Lstat(link); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		return nil
	}
	if err := os.Remove(link); err != nil {
		return withRootHint(fmt.Errorf("remove %s: %w", link, err))
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// withRootHint adds how to fix the usual cause of a refused write in a unit directory.
func withRootHint(err error) error {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w (unit directories belong to root: run lsctl service as root, e.g. with sudo)", err)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w (is systemd installed? %s names another unit directory)", err, unitDirEnv)
	}
	return err
}
