package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control"
	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/containerdrt/logfile"
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
	views, owner, err := s.apiViews(c.Context, project)
	supervised := err == nil
	if err != nil {
		views, err = s.directViews(c.Context, ld.manifest, p)
		if err != nil {
			return err
		}
	}
	down := supervised && owner.Containerd == control.ContainerdUnavailable
	broken := brokenNetwork(s.opts.DataRoot, project, views)
	if broken != "" {
		views = markBroken(views)
	}
	note := s.stdout
	if c.Bool("json") {
		field := ""
		if down {
			field = control.ContainerdUnavailable
		}
		if err := writePSJSON(s.stdout, views, secrets, field); err != nil {
			return err
		}
		note = s.stderr // stdout stays one JSON document
	} else {
		if down {
			views = statusesUnknown(views)
		}
		writePSTable(s.stdout, views, secrets, time.Now())
	}
	if down {
		fmt.Fprintln(note, unavailableNotice(project, owner))
	}
	if broken != "" {
		fmt.Fprintf(note, "[%s] network broken: %s; its containers cannot reach each other: run lsctl down, then lsctl up\n", project, broken)
	}
	for _, line := range droppedNotes(s.opts.DataRoot, project, views) {
		fmt.Fprintln(note, line)
	}
	if !supervised && slices.ContainsFunc(views, isUp) {
		fmt.Fprintf(note, "[%s] unsupervised: no lsctl up or background supervisor runs for this stack, so exits are not restarted; `lsctl up -d` takes it over\n", project)
	}
	return nil
}

// droppedNotes are the lines that say which logs lost lines because they could not
// be written (a full disk): the containers went on, their lines did not.
func droppedNotes(dataRoot, project string, views []actors.View) []string {
	var notes []string
	for _, v := range views {
		d, err := logfile.ReadDropped(plan.LogPath(dataRoot, project, v.Name))
		if err == nil && d.Count > 0 {
			notes = append(notes, fmt.Sprintf("%s: %d log line(s) dropped since %s: %s", v.Name, d.Count, d.Since.Local().Format(time.DateTime), d.Error))
		}
	}
	return notes
}

// statusNetworkBroken is the status ps shows for a running container whose project
// bridge is gone: it runs, but nothing reaches it (issue 12).
const statusNetworkBroken = "network-broken"

// brokenNetwork says what is wrong when containers of the project run but the bridge
// that the project's network record names does not exist, else "".
func brokenNetwork(dataRoot, project string, views []actors.View) string {
	if !slices.ContainsFunc(views, isUp) {
		return ""
	}
	data, err := os.ReadFile(networkRecord(dataRoot, project))
	if err != nil {
		return "" // no record to compare with (a data root other than the one that ran it)
	}
	var rec struct {
		Bridge string `json:"bridge"`
	}
	if json.Unmarshal(data, &rec) != nil || rec.Bridge == "" {
		return ""
	}
	if _, err := net.InterfaceByName(rec.Bridge); err != nil {
		return fmt.Sprintf("bridge %s is missing", rec.Bridge)
	}
	return ""
}

// markBroken shows every running view as network-broken.
func markBroken(views []actors.View) []actors.View {
	out := slices.Clone(views)
	for i := range out {
		if isUp(out[i]) {
			out[i].Status = statusNetworkBroken
		}
	}
	return out
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
// (docs/spec/runtime.md §16.5, §11.5): plan resources in declaration order, then orphans.
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

// prober runs a healthcheck: by exec in a running container, or natively from the host.
type prober = actors.Prober

// viewsFromContainers merges the manifest's resources with the containers found, and
// probes running ones that have a healthcheck in the plan, in parallel.
func viewsFromContainers(ctx context.Context, rt prober, m *manifest.Manifest, p *plan.Plan, managed []containerdrt.Managed) []actors.View {
	byResource := map[string]containerdrt.Managed{}
	for _, c := range managed {
		if c.Labels[plan.LabelRun] == "" { // one-offs of lsctl run are not resources
			byResource[c.Resource] = c
		}
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
				ip := ""
				if views[i].IP != nil {
					ip = *views[i].IP
				}
				views[i].Status = probeStatus(ctx, rt, *views[i].ContainerID, ip, h)
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
		if c.Labels[plan.LabelStopped] != "" { // by `lsctl stop`, not on its own
			v.Status = actors.StatusStopped
		}
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

// probeStatus runs one probe bounded by the healthcheck timeout (docs/spec/runtime.md §11.5).
func probeStatus(ctx context.Context, rt prober, id, ip string, h *plan.Healthcheck) actors.Status {
	ctx, cancel := context.WithTimeout(ctx, h.Timeout+time.Second)
	defer cancel()
	res, err := actors.RunProbe(ctx, rt, id, ip, h)
	if err != nil || res.TimedOut || res.ExitCode != 0 {
		return actors.StatusUnhealthy
	}
	return actors.StatusHealthy
}

// psView is a view with the optional secrets of `ps --json --show-secrets`, and
// "containerd": "unavailable" while the supervising up cannot reach containerd.
type psView struct {
	actors.View
	Secrets    map[string]string
	Containerd string
}

// MarshalJSON appends "secrets" and "containerd", when set, after the view's own keys.
func (v psView) MarshalJSON() ([]byte, error) {
	out, err := json.Marshal(v.View)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		key   string
		value any
		set   bool
	}{{"secrets", v.Secrets, len(v.Secrets) > 0}, {"containerd", v.Containerd, v.Containerd != ""}} {
		if !f.set {
			continue
		}
		extra, err := json.Marshal(f.value)
		if err != nil {
			return nil, err
		}
		out = append(append(append(out[:len(out)-1], `,"`+f.key+`":`...), extra...), '}')
	}
	return out, nil
}

// writePSJSON prints the views (docs/spec/runtime.md §14), with passwords only when given and
// the containerd field when not "".
func writePSJSON(w io.Writer, views []actors.View, secrets map[string]string, containerd string) error {
	out := make([]psView, len(views))
	for i, v := range views {
		out[i] = psView{View: v, Containerd: containerd}
		if pw, ok := secrets[v.Name]; ok {
			out[i].Secrets = map[string]string{"password": pw}
		}
	}
	data, err := render.MarshalJSON(out, true)
	if err != nil {
		return fmt.Errorf("encode resource views: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}

// writePSTable prints the table of docs/spec/runtime.md §16.5 and, with secrets, the SECRETS block.
func writePSTable(w io.Writer, views []actors.View, secrets map[string]string, now time.Time) {
	rows := [][]string{{"NAME", "KIND", "STATUS", "PORTS", "IMAGE", "AGE"}}
	for _, v := range views {
		rows = append(rows, []string{v.Name, v.Kind, string(v.Status), render.PortsColumn(v.Ports), familiarImage(v.Image), age(v, now)})
	}
	render.WriteTable(w, rows)
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

// age is the time since started_at while the task runs (docs/spec/runtime.md §16.5).
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
