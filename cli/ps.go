package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

func (s *session) psAction(c *ucli.Context) error {
	if err := needArgs(c, 0, 0, ""); err != nil {
		return err
	}
	showSecrets := c.Bool("show-secrets")
	ld, err := s.load("", false)
	if err != nil {
		return err
	}
	project := ld.manifest.Project.Name.Value
	p, secrets := s.readOnlyPlan(ld, showSecrets)
	views, err := s.apiViews(c.Context, project)
	supervised := err == nil
	if err != nil {
		views, err = s.directViews(c.Context, ld.manifest, p)
		if err != nil {
			return err
		}
	}
	note := s.stdout
	if c.Bool("json") {
		if err := writePSJSON(s.stdout, views, secrets); err != nil {
			return err
		}
		note = s.stderr // stdout stays one JSON document
	} else {
		writePSTable(s.stdout, views, secrets, time.Now())
	}
	if !supervised && slices.ContainsFunc(views, isUp) {
		fmt.Fprintf(note, "[%s] unsupervised: no lsctl up or background supervisor runs for this stack, so exits are not restarted; `lsctl up -d` takes it over\n", project)
	}
	return nil
}

// isUp reports whether a view's container is running.
func isUp(v actors.View) bool {
	return v.Status == actors.StatusRunning || v.Status == actors.StatusHealthy || v.Status == actors.StatusUnhealthy
}

// readOnlyPlan builds the plan without generating anything (nil when it cannot be
// built) and, when asked, the passwords to reveal per resource.
func (s *session) readOnlyPlan(ld *loaded, withSecrets bool) (*plan.Plan, map[string]string) {
	store, err := plan.OpenSecrets(s.opts.DataRoot, ld.manifest.Project.Name.Value)
	if err != nil {
		s.log.Warn("cannot read generated secrets", "err", err)
		store = nil
	}
	opts := plan.Options{Env: ld.env, DataRoot: s.opts.DataRoot}
	if store != nil {
		opts.Secrets = store
	}
	p, _ := plan.Build(ld.manifest, opts)
	if p == nil || !withSecrets {
		return p, nil
	}
	secrets := map[string]string{}
	for _, n := range p.Nodes {
		pw := n.Outputs["password"]
		if (n.Kind == manifest.KindPostgres || n.Kind == manifest.KindRedis) && pw != "" && pw != plan.PasswordPlaceholder {
			secrets[n.Name] = pw
		}
	}
	return p, secrets
}

// directViews builds the views from containerd and the manifest when no `up` runs
// (runtime.md §16.5, §11.5): plan resources in declaration order, then orphans.
func (s *session) directViews(ctx context.Context, m *manifest.Manifest, p *plan.Plan) ([]actors.View, error) {
	rt, err := s.connect(ctx, containerdrt.PullMissing, false)
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	managed, err := rt.List(ctx, m.Project.Name.Value)
	if err != nil {
		return nil, err
	}
	return viewsFromContainers(ctx, rt, m, p, managed), nil
}

// prober runs a healthcheck command in a running container.
type prober interface {
	Exec(ctx context.Context, id string, req containerdrt.ExecRequest) (containerdrt.ExecResult, error)
}

// viewsFromContainers merges the manifest's resources with the containers found, and
// probes running ones that have a healthcheck in the plan, in parallel.
func viewsFromContainers(ctx context.Context, rt prober, m *manifest.Manifest, p *plan.Plan, managed []containerdrt.Managed) []actors.View {
	byResource := map[string]containerdrt.Managed{}
	for _, c := range managed {
		byResource[c.Resource] = c
	}
	var views []actors.View
	var health []*plan.Healthcheck // per view: the healthcheck to probe, nil for none
	for _, r := range m.Resources {
		v := actors.View{Name: r.Name, Kind: string(r.Kind), Status: actors.StatusStopped}
		var node *plan.Node
		if p != nil {
			node = p.Node(r.Name)
		}
		if node != nil {
			v.Image, v.DependsOn = node.Spec.Image, node.DependsOn
		}
		if c, ok := byResource[r.Name]; ok {
			fillFromContainer(&v, c)
			delete(byResource, r.Name)
		}
		var h *plan.Healthcheck
		if v.Status == actors.StatusRunning && node != nil {
			h = node.Health
		}
		views, health = append(views, v), append(health, h)
	}
	var wg sync.WaitGroup
	for i, h := range health {
		if h != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				views[i].Status = probeStatus(ctx, rt, *views[i].ContainerID, h)
			}()
		}
	}
	wg.Wait()
	var orphans []actors.View
	for _, c := range byResource {
		v := actors.View{Name: c.Resource, Kind: c.Kind, Status: actors.StatusStopped, DependsOn: c.DependsOn}
		fillFromContainer(&v, c)
		orphans = append(orphans, v)
	}
	sort.Slice(orphans, func(i, j int) bool { return orphans[i].Name < orphans[j].Name })
	return append(views, orphans...)
}

// fillFromContainer copies what containerd knows about a resource's container.
func fillFromContainer(v *actors.View, c containerdrt.Managed) {
	id := c.ID
	v.ContainerID, v.Restarts = &id, c.Restarts
	if v.Image == "" {
		v.Image = c.Image
	}
	if v.DependsOn == nil {
		v.DependsOn = c.DependsOn
	}
	if !c.Running {
		v.Status = actors.StatusExited
		return
	}
	v.Status, v.Ports = actors.StatusRunning, c.Ports
	if c.IP != "" {
		ip := c.IP
		v.IP = &ip
	}
	if !c.StartedAt.IsZero() {
		t := c.StartedAt
		v.StartedAt = &t
	}
}

// probeStatus runs one probe bounded by the healthcheck timeout (runtime.md §11.5).
func probeStatus(ctx context.Context, rt prober, id string, h *plan.Healthcheck) string {
	env := make([]string, 0, len(h.Env))
	for _, e := range h.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	ctx, cancel := context.WithTimeout(ctx, h.Timeout+time.Second)
	defer cancel()
	res, err := rt.Exec(ctx, id, containerdrt.ExecRequest{Argv: h.Argv, Env: env, Timeout: h.Timeout})
	if err != nil || res.TimedOut || res.ExitCode != 0 {
		return actors.StatusUnhealthy
	}
	return actors.StatusHealthy
}

// psView is a view with the optional secrets of `ps --json --show-secrets`.
type psView struct {
	actors.View
	Secrets map[string]string `json:"secrets,omitempty"`
}

// MarshalJSON appends "secrets" after the view's own keys.
func (v psView) MarshalJSON() ([]byte, error) {
	base, err := json.Marshal(v.View)
	if err != nil || len(v.Secrets) == 0 {
		return base, err
	}
	extra, err := json.Marshal(v.Secrets)
	if err != nil {
		return nil, err
	}
	out := append(base[:len(base)-1], `,"secrets":`...)
	return append(append(out, extra...), '}'), nil
}

// writePSJSON prints the views (runtime.md §14), with passwords only when given.
func writePSJSON(w io.Writer, views []actors.View, secrets map[string]string) error {
	out := make([]psView, len(views))
	for i, v := range views {
		out[i] = psView{View: v}
		if pw, ok := secrets[v.Name]; ok {
			out[i].Secrets = map[string]string{"password": pw}
		}
	}
	data, err := marshalJSON(out, true)
	if err != nil {
		return fmt.Errorf("encode resource views: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}

// writePSTable prints the table of runtime.md §16.5 and, with secrets, the SECRETS block.
func writePSTable(w io.Writer, views []actors.View, secrets map[string]string, now time.Time) {
	rows := [][]string{{"NAME", "KIND", "STATUS", "PORTS", "IMAGE", "AGE"}}
	for _, v := range views {
		rows = append(rows, []string{v.Name, v.Kind, v.Status, portsColumn(v.Ports), familiarImage(v.Image), age(v, now)})
	}
	writeTable(w, rows)
	if len(secrets) == 0 {
		return
	}
	fmt.Fprint(w, "\nSECRETS\n")
	for _, v := range views {
		if pw, ok := secrets[v.Name]; ok {
			fmt.Fprintf(w, "%s password  %s\n", v.Name, pw)
		}
	}
}

// portsColumn renders host_ip:host_port->container_port, comma-separated.
func portsColumn(ports []planPort) string {
	if len(ports) == 0 {
		return "-"
	}
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = fmt.Sprintf("%s:%d->%d", p.HostIP, p.HostPort, p.ContainerPort)
		if p.RequestedHostPort != 0 && p.RequestedHostPort != p.HostPort {
			parts[i] += fmt.Sprintf(" (requested %d)", p.RequestedHostPort)
		}
	}
	return strings.Join(parts, ", ")
}

type planPort = plan.PortBinding

// familiarImage is the short form of a reference, or the text when it does not parse.
func familiarImage(ref string) string {
	if ref == "" {
		return "-"
	}
	if r, err := manifest.ParseImageRef(ref); err == nil {
		return r.Familiar()
	}
	return ref
}

// age is the time since started_at while the task runs (runtime.md §16.5).
func age(v actors.View, now time.Time) string {
	running := v.Status == actors.StatusRunning || v.Status == actors.StatusHealthy ||
		v.Status == actors.StatusUnhealthy || v.Status == actors.StatusStarting
	if v.StartedAt == nil || !running {
		return "-"
	}
	d := max(now.Sub(*v.StartedAt), 0)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}
