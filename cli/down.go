package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// Waits of `down` for the project lock (runtime.md §12.9).
const (
	downExtraWait = 30 * time.Second // after grace, for an `up` asked to stop
	downBusyWait  = 60 * time.Second // for any other command
	lockPoll      = 100 * time.Millisecond
)

func (s *session) downAction(c *ucli.Context) error {
	o, err := parseDownOptions(c)
	if err != nil {
		return err
	}
	m, err := s.loadProjectOnly()
	if err != nil {
		return err
	}
	project := m.Project.Name.Value
	lock, err := s.lockForDown(c.Context, project, o.Grace)
	if err != nil {
		return err
	}
	defer lock.Release()
	rt, err := s.connect(c.Context, containerdrt.PullMissing, false)
	if err != nil {
		return err
	}
	defer rt.Close()
	return s.down(c.Context, rt, m, o)
}

// loadProjectOnly reads the manifest for down: it needs only the project name, so
// validation errors become warnings when the name is readable (runtime.md §16.4).
func (s *session) loadProjectOnly() (*manifest.Manifest, error) {
	m, _, diags := s.loadRaw("")
	usable := m != nil && m.Project.Name.Set && !slices.ContainsFunc(diags, func(d manifest.Diagnostic) bool {
		return d.Code == "invalid-project-name"
	})
	if !usable {
		writeDiagnostics(s.stderr, diags)
		return nil, silentFailure()
	}
	for _, d := range diags {
		d.Severity = manifest.SeverityWarning
		fmt.Fprintln(s.stderr, d.String())
	}
	return m, nil
}

// lockForDown takes the project lock. A running `up` is asked to stop with SIGTERM
// and waited for up to grace + 30 s; another command is waited for up to 60 s.
func (s *session) lockForDown(ctx context.Context, project string, grace time.Duration) (*containerdrt.ProjectLock, error) {
	var deadline time.Time
	for {
		lock, err := containerdrt.LockProject(s.opts.DataRoot, project, "down")
		var busy *containerdrt.BusyError
		if err == nil || !errors.As(err, &busy) {
			return lock, err
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(downBusyWait)
			if busy.Command == "up" && busy.PID > 0 {
				if kerr := syscall.Kill(busy.PID, syscall.SIGTERM); kerr == nil {
					fmt.Fprintf(s.stdout, "[%s] asking lsctl up (pid %d) to stop\n", project, busy.PID)
				}
				deadline = time.Now().Add(grace + downExtraWait)
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w; gave up waiting for it", busy)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(lockPoll): // flock has no notification; poll the lock
		}
	}
}

// downRuntime is what down needs of the runtime.
type downRuntime interface {
	containerStopper
	List(ctx context.Context, project string) ([]containerdrt.Managed, error)
	TeardownNetwork(ctx context.Context, project string) error
	RemoveLeases(ctx context.Context, project string) error
	RemoveLeftoverNetns(ctx context.Context, project string) error
	RemoveVolumes(ctx context.Context, project string, names []string) (removed, kept []string, err error)
}

// down removes the project's containers (orphans included), its network, and with
// --volumes its volumes, generated secrets and logs (runtime.md §16.4). Every step is
// attempted; any failure makes the exit code 1.
func (s *session) down(ctx context.Context, rt downRuntime, m *manifest.Manifest, o downOptions) error {
	project := m.Project.Name.Value
	out, errOut := &linePrinter{w: s.stdout}, &linePrinter{w: s.stderr}
	failed := false
	containers, err := rt.List(ctx, project)
	switch {
	case err != nil:
		errOut.printf("error: %v", err)
		failed = true
	case len(containers) == 0:
		out.printf("[%s] nothing to stop", project)
	default:
		failed = stopInOrder(ctx, rt, containers, o.Grace, out, errOut) != nil
	}
	// A killed up leaves the leases of the containers it was creating (issue 12 item 2),
	// and the pinned namespaces of those it had not created yet (runtime.md §5.5).
	for _, remove := range []func(context.Context, string) error{rt.RemoveLeases, rt.RemoveLeftoverNetns} {
		if err := remove(ctx, project); err != nil {
			errOut.printf("error: %v", err)
			failed = true
		}
	}
	network := plan.NetworkName(project)
	existed := fileExists(filepath.Join(s.opts.DataRoot, "networks", network+".json"))
	switch err := rt.TeardownNetwork(ctx, project); {
	case err != nil:
		errOut.printf("error: %v", err)
		failed = true
	case existed:
		out.printf("[%s] network %s removed", project, network)
	default:
		out.printf("[%s] no network to remove", project)
	}
	if o.Volumes && !s.removeProjectData(ctx, rt, m, containers, out, errOut) {
		failed = true
	}
	if failed {
		return silentFailure()
	}
	return nil
}

// removeProjectData is the --volumes part of down; it reports success.
func (s *session) removeProjectData(ctx context.Context, rt downRuntime, m *manifest.Manifest, cs []containerdrt.Managed, out, errOut *linePrinter) bool {
	project, ok := m.Project.Name.Value, true
	removed, kept, err := rt.RemoveVolumes(ctx, project, volumeNames(m, cs))
	for _, v := range removed {
		out.printf("volume %s removed", v)
	}
	for _, v := range kept {
		out.printf("volume %s kept (created by another project)", v)
	}
	if err != nil {
		errOut.printf("error: %v", err)
		ok = false
	}
	// Removed by path rather than through plan.OpenSecrets: a corrupt file must go too.
	secrets := filepath.Join(plan.ProjectDir(s.opts.DataRoot, project), "secrets.json")
	switch err := os.Remove(secrets); {
	case err == nil:
		out.printf("[%s] secrets removed", project)
	case !errors.Is(err, fs.ErrNotExist):
		errOut.printf("error: remove generated secrets %s: %v", secrets, err)
		ok = false
	}
	logs := filepath.Join(plan.ProjectDir(s.opts.DataRoot, project), "logs")
	if err := os.RemoveAll(logs); err != nil {
		errOut.printf("error: remove logs %s: %v", logs, err)
		ok = false
	}
	return ok
}

// volumeNames lists the named volumes of the manifest and the default volumes of
// orphaned postgres/redis containers (runtime.md §7.2).
func volumeNames(m *manifest.Manifest, cs []containerdrt.Managed) []string {
	project := m.Project.Name.Value
	var names []string
	add := func(n string) {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	kindVolume := func(resource string, v manifest.Volume) {
		if !v.Set || v.Enabled {
			add(cmp.Or(v.Name, plan.DefaultVolumeName(project, resource)))
		}
	}
	declared := map[string]bool{}
	for _, r := range m.Resources {
		declared[r.Name] = true
		switch {
		case r.Postgres != nil:
			kindVolume(r.Name, r.Postgres.Volume)
		case r.Redis != nil:
			kindVolume(r.Name, r.Redis.Volume)
		case r.Kind == manifest.KindPostgres || r.Kind == manifest.KindRedis:
			add(plan.DefaultVolumeName(project, r.Name))
		case r.Container != nil:
			for _, v := range r.Container.Volumes {
				if vm, err := manifest.ParseVolume(v.Value); err == nil && !vm.HostPath {
					add(vm.Source)
				}
			}
		}
	}
	for _, c := range cs {
		if !declared[c.Resource] && (c.Kind == string(manifest.KindPostgres) || c.Kind == string(manifest.KindRedis)) {
			add(plan.DefaultVolumeName(project, c.Resource))
		}
	}
	return names
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
