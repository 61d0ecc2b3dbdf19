package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control"
	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/manifest"
)

// declaredResources is the manifest's resource names in declaration order.
func declaredResources(m *manifest.Manifest) []string {
	names := make([]string, 0, len(m.Resources))
	for _, r := range m.Resources {
		names = append(names, r.Name)
	}
	return names
}

// loadNamed loads the manifest for a command whose arguments are resource names, and
// checks the names.
func (s *session) loadNamed(c *ucli.Context) (*loaded, []string, error) {
	ld, err := s.load("", false)
	if err != nil {
		return nil, nil, err
	}
	names := c.Args().Slice()
	if err := checkResourceNames(ld.manifest, names); err != nil {
		return nil, nil, err
	}
	return ld, names, nil
}

// checkResourceNames fails on the first name the manifest does not declare, suggesting
// the closest declared one.
func checkResourceNames(m *manifest.Manifest, names []string) error {
	declared := declaredResources(m)
	for _, n := range names {
		if !slices.Contains(declared, n) {
			return unknownResource(m.Project.Name.Value, n, declared)
		}
	}
	return nil
}

// unknownResource says which name is unknown and what the user may have meant.
func unknownResource(project, name string, declared []string) error {
	msg := fmt.Sprintf("unknown resource %q in project %q", name, project)
	if s := closest(name, declared); s != "" {
		return fmt.Errorf("%s (did you mean %q?)", msg, s)
	}
	return errors.New(msg)
}

// resourceViews returns the views of the project's resources: from the process that
// owns the stack when one runs (cc is then its client), else from containerd without
// health probes.
func (s *session) resourceViews(ctx context.Context, ld *loaded) (views []actors.View, cc *control.Client, err error) {
	project := ld.manifest.Project.Name.Value
	if cc, err = s.dialControl(ctx, project); err == nil {
		views, _, err = s.apiViews(ctx, project)
		return views, cc, err
	}
	rt, err := s.connect(ctx, containerdrt.PullMissing, false)
	if err != nil {
		return nil, nil, err
	}
	defer rt.Close()
	managed, err := rt.List(ctx, project)
	if err != nil {
		return nil, nil, err
	}
	return viewsFromContainers(ctx, rt, ld.manifest, nil, managed), nil, nil
}

// runningResource checks that name is declared and its container runs, and returns its
// view. A resource still starting counts: it has a task one may need to look into.
func (s *session) runningResource(ctx context.Context, ld *loaded, name string) (actors.View, error) {
	if err := checkResourceNames(ld.manifest, []string{name}); err != nil {
		return actors.View{}, err
	}
	views, _, err := s.resourceViews(ctx, ld)
	if err != nil {
		return actors.View{}, err
	}
	i := slices.IndexFunc(views, func(v actors.View) bool { return v.Name == name })
	if i < 0 {
		return actors.View{}, unknownResource(ld.manifest.Project.Name.Value, name, declaredResources(ld.manifest))
	}
	v := views[i]
	if v.ContainerID == nil || !(isUp(v) || v.Status == actors.StatusStarting) {
		return v, notRunning(v)
	}
	return v, nil
}

// connectRunning checks that name's container runs and connects to containerd; it
// returns the container's id, and the client the caller closes.
func (s *session) connectRunning(ctx context.Context, ld *loaded, name string) (string, *containerdrt.Client, error) {
	v, err := s.runningResource(ctx, ld, name)
	if err != nil {
		return "", nil, err
	}
	rt, err := s.connect(ctx, containerdrt.PullMissing, false)
	if err != nil {
		return "", nil, err
	}
	return *v.ContainerID, rt, nil
}

// notRunning names the resource's status and the command that helps.
func notRunning(v actors.View) error {
	msg := fmt.Sprintf("resource %q is not running (status %s)", v.Name, v.Status)
	switch v.Status {
	case actors.StatusStopped:
		return fmt.Errorf("%s; start it with lsctl start %s", msg, v.Name)
	case actors.StatusExited, actors.StatusFailed:
		return fmt.Errorf("%s; see lsctl logs %s, then lsctl restart %s", msg, v.Name, v.Name)
	}
	return fmt.Errorf("%s; retry once it is running", msg)
}

// runningTargets are the named resources, every one running, or with no name every
// running resource; a named one that does not run ends the command before it does
// anything (kill, stats).
func runningTargets(ld *loaded, views []actors.View, names []string) ([]actors.View, error) {
	var out []actors.View
	for _, n := range declaredResources(ld.manifest) {
		v := viewOf(views, n)
		running := v.ContainerID != nil && (isUp(v) || v.Status == actors.StatusStarting)
		switch {
		case len(names) == 0 && running:
			out = append(out, v)
		case len(names) > 0 && slices.Contains(names, n) && !running:
			return nil, notRunning(v)
		case len(names) > 0 && slices.Contains(names, n):
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no resource of project %q is running", ld.manifest.Project.Name.Value)
	}
	return out, nil
}
