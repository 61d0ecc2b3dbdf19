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

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control"
	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// Waits of `down` for the project lock (docs/spec/runtime.md §12.9).
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
	if err := s.ensureDataRoot(); err != nil {
		return err
	}
	if cc, err := s.dialControl(c.Context, project); err == nil && cc.Info().Supervisor {
		o.supervised = s.stopSupervised(c.Context, cc, project, o.Grace)
	}
	lock, err := s.lockForDown(c.Context, project, o.Grace, o.supervised != nil)
	if err != nil {
		return err
	}
	defer lock.Release()
	rt, err := s.connect(c.Context, containerdrt.PullMissing, false)
	if err != nil {
		if o.supervised != nil && len(o.supervised.failures) > 0 {
			// down's own pass cannot remove what the supervisor left: say what it is.
			for _, f := range o.supervised.failures {
				fmt.Fprintf(s.stderr, "error: %s\n", f)
			}
			fmt.Fprintf(s.stderr, "error: %v\n", err)
			printNoAnswerHint(render.NewLinePrinter(s.stderr, nil), err)
			return silentFailure()
		}
		return err
	}
	defer rt.Close()
	if err := s.down(c.Context, rt, m, o); err != nil || !o.Volumes {
		return err
	}
	// Nothing of the project runs or is kept any more: its directory goes whole
	// (hosts, resolv.conf, hostname/, supervisor.log, lock).
	if err := lock.RemoveProjectDir(); err != nil {
		return err
	}
	return nil
}

// loadProjectOnly reads the manifest for down: it needs only the project name, so
// validation errors become warnings when the name is readable (docs/spec/runtime.md §16.4).
func (s *session) loadProjectOnly() (*manifest.Manifest, error) {
	m, _, diags := s.loadRaw("")
	usable := m != nil && m.Project.Name.Set && !slices.ContainsFunc(diags, func(d manifest.Diagnostic) bool {
		return d.Code == "invalid-project-name"
	})
	if !usable {
		render.WriteDiagnostics(s.stderr, diags)
		return nil, silentFailure()
	}
	for _, d := range diags {
		d.Severity = manifest.SeverityWarning
		fmt.Fprintln(s.stderr, d.String())
	}
	return m, nil
}

// lockForDown takes the project lock. A running `up` is asked to stop with SIGTERM
// (unless asked already: a background supervisor is asked through its API) and
// waited for up to grace + 30 s; another command is waited for up to 60 s.
func (s *session) lockForDown(ctx context.Context, project string, grace time.Duration, asked bool) (*containerdrt.ProjectLock, error) {
	var deadline time.Time
	for {
		lock, err := containerdrt.LockProject(s.opts.DataRoot, project, "down")
		var busy *containerdrt.BusyError
		if err == nil || !errors.As(err, &busy) {
			return lock, err
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(downBusyWait)
			if asked {
				deadline = time.Now().Add(grace + downExtraWait)
			} else if busy.Command == "up" && busy.PID > 0 {
				if kerr := syscall.Kill(busy.PID, syscall.SIGTERM); kerr == nil {
					fmt.Fprintf(s.stdout, "[%s] asking lsctl up (pid %d) to stop\n", project, busy.PID)
				}
				deadline = time.Now().Add(grace + downExtraWait)
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w; gave up waiting for it", busy)
		}
		if err := awaitLockHolder(ctx, busy); err != nil {
			return nil, err
		}
	}
}

// downRuntime is what down needs of the runtime.
type downRuntime interface {
	containerStopper
	List(ctx context.Context, project string) ([]containerdrt.Managed, error)
	TeardownNetwork(ctx context.Context, project string) error
	RemoveLeftovers(ctx context.Context, project string) ([]string, error)
	RemoveLeftoverNetns(ctx context.Context, project string) error
	RemoveVolumes(ctx context.Context, project string, names []string) (removed, kept []string, err error)
}

// down removes the project's containers (orphans included), its network, and with
// --volumes its volumes, generated secrets and logs (docs/spec/runtime.md §16.4). Every step is
// attempted, each within the teardown deadline (grace + 30 s); any failure makes the
// exit code 1.
func (s *session) down(ctx context.Context, rt downRuntime, m *manifest.Manifest, o downOptions) error {
	project := m.Project.Name.Value
	out, errOut := render.NewLinePrinter(s.stdout, nil), render.NewLinePrinter(s.stderr, nil)
	timeout := containerdrt.TeardownTimeout(o.Grace)
	var errs []error
	var containers []containerdrt.Managed
	err := containerdrt.Teardown(ctx, timeout, fmt.Sprintf("list the containers of project %q", project),
		func(ctx context.Context) (err error) {
			containers, err = rt.List(ctx, project)
			return err
		})
	switch {
	case err != nil:
		errOut.Printf("error: %v", err)
		errs = append(errs, err)
	case len(containers) == 0 && o.supervised != nil && o.supervised.stopped > 0:
	case len(containers) == 0:
		out.Printf("[%s] nothing to stop", project)
	default:
		errs = append(errs, stopInOrder(ctx, rt, containers, o.Grace, out, errOut))
	}
	var leftovers []string
	err = containerdrt.Teardown(ctx, timeout, fmt.Sprintf("remove what a crash left of project %q", project),
		func(ctx context.Context) (err error) {
			leftovers, err = rt.RemoveLeftovers(ctx, project)
			return err
		})
	for _, id := range leftovers {
		out.Printf("[%s] removed task %s, left without its container by a crash", project, id)
	}
	if err != nil {
		errOut.Printf("error: %v", err)
		errs = append(errs, err)
	}
	// A killed up leaves the pinned namespaces of containers it had not created yet
	// (docs/spec/runtime.md §5.5).
	err = containerdrt.Teardown(ctx, timeout, fmt.Sprintf("remove the leftover network namespaces of project %q", project),
		func(ctx context.Context) error { return rt.RemoveLeftoverNetns(ctx, project) })
	if err != nil {
		errOut.Printf("error: %v", err)
		errs = append(errs, err)
	}
	network := plan.NetworkName(project)
	existed := fileExists(networkRecord(s.opts.DataRoot, project))
	if o.supervised != nil && o.supervised.network {
		existed = true // removed by the supervisor's own teardown
	}
	switch err := containerdrt.TeardownNetworkWithin(ctx, rt, project, timeout); {
	case err != nil:
		errOut.Printf("error: %v", err)
		errs = append(errs, err)
	case existed:
		out.Printf("[%s] network %s removed", project, network)
	default:
		out.Printf("[%s] no network to remove", project)
	}
	if o.Volumes {
		errs = append(errs, s.removeProjectData(ctx, rt, m, containers, timeout, out, errOut))
	}
	if err := errors.Join(errs...); err != nil {
		printNoAnswerHint(errOut, err)
		return silentFailure()
	}
	return nil
}

// removeProjectData is the --volumes part of down; it returns its failures, each
// already printed.
func (s *session) removeProjectData(ctx context.Context, rt downRuntime, m *manifest.Manifest, cs []containerdrt.Managed,
	timeout time.Duration, out, errOut *render.LinePrinter) error {
	project := m.Project.Name.Value
	var errs []error
	fail := func(err error) {
		errOut.Printf("error: %v", err)
		errs = append(errs, err)
	}
	var removed, kept []string
	err := containerdrt.Teardown(ctx, timeout, fmt.Sprintf("remove the volumes of project %q", project),
		func(ctx context.Context) (err error) {
			removed, kept, err = rt.RemoveVolumes(ctx, project, volumeNames(m, cs))
			return err
		})
	for _, v := range removed {
		out.Printf("volume %s removed", v)
	}
	for _, v := range kept {
		out.Printf("volume %s kept (created by another project)", v)
	}
	if err != nil {
		fail(err)
	}
	// Removed by path rather than through plan.OpenSecrets: a corrupt file must go too.
	secrets := filepath.Join(plan.ProjectDir(s.opts.DataRoot, project), "secrets.json")
	switch err := os.Remove(secrets); {
	case err == nil:
		out.Printf("[%s] secrets removed", project)
	case !errors.Is(err, fs.ErrNotExist):
		fail(fmt.Errorf("remove generated secrets %s: %v", secrets, err))
	}
	for _, dir := range []struct{ name, what string }{{"logs", "logs"}, {"files", "secret files"}} {
		path := filepath.Join(plan.ProjectDir(s.opts.DataRoot, project), dir.name)
		if err := os.RemoveAll(path); err != nil {
			fail(fmt.Errorf("remove %s %s: %v", dir.what, path, err))
		}
	}
	return errors.Join(errs...)
}

// volumeNames lists the named volumes of the manifest and the default volumes of
// orphaned postgres/redis containers (docs/spec/runtime.md §7.2).
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

// networkRecord is the file that records a project's network (docs/spec/runtime.md §5.1).
func networkRecord(dataRoot, project string) string {
	return filepath.Join(dataRoot, "networks", plan.NetworkName(project)+".json")
}

// supervisedStop is what a background supervisor's own shutdown did before `down`
// took the project lock: down reports it as if it had done it itself.
type supervisedStop struct {
	stopped  int      // resources reported stopped
	failures []string // why a resource could not be removed (down's own pass retries)
	network  bool     // the network existed when the shutdown began
}

// stopSupervised has the background supervisor run the ordered shutdown and prints
// its `<resource>: stopped` lines until its event stream ends; nil when it could not
// be asked. Failures are left for down's own pass, which removes whatever is left.
func (s *session) stopSupervised(ctx context.Context, cc *control.Client, project string, grace time.Duration) *supervisedStop {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st := &supervisedStop{network: fileExists(networkRecord(s.opts.DataRoot, project))}
	events, err := cc.Events(ctx)
	if err == nil {
		err = cc.Post(ctx, "/api/shutdown?grace="+grace.String())
	}
	if err != nil { // down falls back to SIGTERM, as for a foreground up
		fmt.Fprintf(s.stderr, "warning: %v\n", err)
		return nil
	}
	fmt.Fprintf(s.stdout, "[%s] asking %s to stop\n", project, cc.Owner())
	for e := range events {
		switch e.Type {
		case string(actors.ResourceStopped):
			st.stopped++
			fmt.Fprintf(s.stdout, "%s: stopped\n", e.Resource)
		case string(actors.ResourceFailed): // during a shutdown: a removal that failed
			st.failures = append(st.failures, e.Error)
		}
	}
	return st
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
