package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/containerdrt/logfile"
	"github.com/lightshuttle/lsctl/plan"
)

// upState is what `up` holds while it runs.
type upState struct {
	opts     upOptions
	plan     *plan.Plan
	client   *containerdrt.Client // nil in tests that drive runUp with a fake runtime
	rt       containerdrt.Runtime
	lock     *containerdrt.ProjectLock
	unlockDR func()             // data-root lock held from the port preflight until containers exist
	subnet   string             // the project network's, reserved before the network is ensured
	builds   *buildTails        // output tails of failed builds, set by runUp
	updates  chan imageProgress // image progress to the up loop (progressUpdates)
	images   *actors.Images     // acquisitions begun once containerd answered (§12.2 step 3)
	otel     otelConfig         // OpenTelemetry wiring (docs/spec/runtime.md §20)
	gateway  netip.Addr         // the project bridge's address: the OTLP receiver's
}

func (s *session) upAction(c *ucli.Context) error {
	o, err := parseUpOptions(c)
	if err != nil {
		return err
	}
	if c.Bool("no-color") {
		s.opts.NoColor = true
	}
	// Handlers first (docs/spec/runtime.md §12.8), so Ctrl-C at any point rolls back cleanly.
	sigs, stopSignals := s.notifySignals()
	defer stopSignals()
	s.guardStreams()
	switch {
	case s.supervisor != nil:
		// The background supervisor is a foreground up without a terminal.
		o.Detach, o.Quiet = false, true
	case s.spawn && o.Detach:
		return s.backgroundUp(c.Context, o, sigs)
	case s.spawn:
		if attached, err := s.attachSupervised(c.Context, o, sigs); attached {
			return err
		}
	}
	steps := &traceSteps{ctx: c.Context}
	defer steps.end()
	steps.next("load manifest")
	ld, err := s.load(o.EnvFile, o.Strict)
	if err != nil {
		return err
	}
	closeLog := s.openUpLog(ld.manifest.Project.Name.Value)
	defer closeLog()
	steps.next("check plan")
	// §12.2 step 1: placeholders for passwords, but every variable required, before
	// containerd is contacted (§17 item 69).
	early, diags := plan.Build(ld.manifest, plan.Options{Env: ld.env, RequireEnv: true, DataRoot: s.opts.DataRoot})
	if o.Strict {
		diags = diags.Strict()
	}
	render.WriteDiagnostics(s.stderr, diags)
	if diags.HasErrors() {
		return silentFailure()
	}
	st, err := s.prepareUp(c.Context, ld, early, o, steps)
	if err != nil {
		return err
	}
	defer st.close()
	steps.next("run")
	return s.runUp(c.Context, st, sigs)
}

// prepareUp is §12.2 step 2 up to the port preflight: project lock, containerd, CNI
// plugins, generated passwords, the final plan. The pulls of step 3 begin as soon as
// containerd answers, with the images of early, the plan checked before it: image
// references need no generated password.
func (s *session) prepareUp(ctx context.Context, ld *loaded, early *plan.Plan, o upOptions, steps *traceSteps) (*upState, error) {
	project := ld.manifest.Project.Name.Value
	st := &upState{opts: o}
	steps.next("lock project")
	if err := s.ensureDataRoot(); err != nil {
		return nil, err
	}
	lock, err := containerdrt.LockProject(s.opts.DataRoot, project, "up")
	if err != nil {
		return nil, err
	}
	st.lock = lock
	steps.next("connect")
	if st.client, err = s.connect(ctx, o.Pull, o.Build); err != nil {
		st.close()
		return nil, err
	}
	st.rt = st.client
	st.images = actors.NewImages()
	st.images.Prefetch(progressRuntime{Runtime: st.client, updates: st.progressUpdates(), redact: early.Redactor().Redact}, early)
	steps.next("check CNI plugins")
	if err := st.client.CheckCNIPlugins(); err != nil {
		st.close()
		return nil, err
	}
	steps.next("final plan")
	if st.plan, err = s.finalPlan(ld); err != nil {
		st.close()
		return nil, err
	}
	steps.next("preflight ports")
	if st.unlockDR, err = st.client.LockDataRoot(); err != nil {
		st.close()
		return nil, err
	}
	rewrites, err := st.client.PreflightPorts(ctx, st.plan, o.Strict)
	if err != nil {
		st.close()
		return nil, err
	}
	for _, r := range rewrites {
		fmt.Fprintf(s.stdout, "%s: port %s:%d is in use; publishing %s:%d -> %d instead\n", r.Resource, r.HostIP, r.From, r.HostIP, r.To, r.Container)
	}
	steps.next("reserve network")
	subnet, err := st.client.ReserveNetwork(project)
	if err != nil {
		st.close()
		return nil, err
	}
	st.subnet = subnet.String()
	st.otel = otelSettings(ld.manifest, o.NoOtel)
	if st.otel.enabled {
		st.gateway = gatewayOf(subnet)
		st.plan.InjectOTel(receiverURL(st.gateway))
	}
	return st, nil
}

// finalPlan generates and stores missing passwords under the project lock, then builds
// the plan with them and the network's existing address table (docs/spec/runtime.md §2, §8).
func (s *session) finalPlan(ld *loaded) (*plan.Plan, error) {
	project := ld.manifest.Project.Name.Value
	store, err := plan.OpenSecrets(s.opts.DataRoot, project)
	if err != nil {
		return nil, err
	}
	for _, w := range store.Warnings() {
		fmt.Fprintf(s.stderr, "warning: %s\n", w)
	}
	var need []string
	opts := plan.Options{Env: ld.env, Secrets: store, RequireEnv: true, DataRoot: s.opts.DataRoot,
		NeedsGenerated: func(r string) { need = append(need, r) }}
	if _, diags := plan.Build(ld.manifest, opts); diags.HasErrors() {
		render.WriteDiagnostics(s.stderr, diags.Errors())
		return nil, silentFailure()
	}
	if _, err := store.Ensure(need); err != nil {
		return nil, err
	}
	if opts.Offsets, err = containerdrt.ReadNetworkOffsets(s.opts.DataRoot, project); err != nil {
		return nil, err
	}
	opts.NeedsGenerated = nil
	p, diags := plan.Build(ld.manifest, opts)
	if diags.HasErrors() {
		render.WriteDiagnostics(s.stderr, diags.Errors())
		return nil, silentFailure()
	}
	return p, nil
}

// progressUpdates is the channel by which image progress reaches the up loop, made by
// whichever comes first: the prefetch of prepareUp or runUp.
func (st *upState) progressUpdates() chan imageProgress {
	if st.updates == nil {
		st.updates = make(chan imageProgress, 64)
	}
	return st.updates
}

// close releases what prepareUp acquired, in reverse order; safe to call twice.
func (st *upState) close() {
	if st.images != nil { // before the client, which the pulls use
		st.images.Close()
		st.images = nil
	}
	st.releaseDataRoot()
	if st.client != nil {
		st.client.Close()
		st.client, st.rt = nil, nil
	}
	if st.lock != nil {
		st.lock.Release()
		st.lock = nil
	}
}

func (st *upState) releaseDataRoot() {
	if st.unlockDR != nil {
		st.unlockDR()
		st.unlockDR = nil
	}
}

// actorOptions wires the lifecycle engine to lsctl's flags, redaction and logs. A
// resource whose build failed has no container log: its report shows the failing
// build step's output instead (docs/spec/runtime.md §9.7).
func (s *session) actorOptions(p *plan.Plan, o upOptions, builds *buildTails) actors.Options {
	redactor := p.Redactor()
	return actors.Options{
		Grace:       o.Grace,
		WaitTimeout: o.WaitTimeout,
		Redact:      redactor.Redact,
		Logger:      s.log,
		LastLogLines: func(resource string, since time.Time, n int) []string {
			if lines, failed := builds.lines(resource); failed {
				return lines
			}
			if since.IsZero() { // no container: the log holds no line of this attempt
				return nil
			}
			return lastLogLines(s.opts.DataRoot, p.Project, resource, since, n)
		},
	}
}

// lastLogLines reads the last n lines of a resource's log file written at or after
// since (docs/spec/runtime.md §12.3): the log file outlives containers, and the lines of an
// earlier attempt or of an adopted container before this up are not the failure's.
// Records are in time order, so the lines since are a suffix of the file.
func lastLogLines(dataRoot, project, resource string, since time.Time, n int) []string {
	recs, err := logfile.Read(plan.LogPath(dataRoot, project, resource), n)
	if err != nil {
		return nil
	}
	var lines []string
	for _, r := range recs {
		if !r.TS.Before(since) {
			lines = append(lines, r.Line)
		}
	}
	return lines
}

// logSizes records the size of every current log file, so the foreground log stream
// shows only lines written by this run (docs/spec/runtime.md §16.3).
func logSizes(dataRoot string, p *plan.Plan) map[string]int64 {
	sizes := map[string]int64{}
	for _, n := range p.Nodes {
		if st, err := os.Stat(plan.LogPath(dataRoot, p.Project, n.Name)); err == nil {
			sizes[n.Name] = st.Size()
		}
	}
	return sizes
}

// startupReport prints the failure report of docs/spec/runtime.md §12.3; after a failed build,
// the last lines are the failing build step's output (§9.7).
func (s *session) startupReport(err error, builds *buildTails) error {
	var se *actors.StartupError
	if !errors.As(err, &se) {
		return err
	}
	fmt.Fprintf(s.stderr, "error: %s\n", se.Error())
	defer keptNote(s.stderr, se.Kept)
	if _, failed := builds.lines(se.Resource); failed && se.Resource != "" {
		fmt.Fprintf(s.stderr, "last 20 lines of the failing build step of %s:\n", se.Resource)
		writeIndented(s.stderr, se.LastLines)
		return silentFailure()
	}
	if se.Resource != "" {
		fmt.Fprintf(s.stderr, "last 20 log lines of %s:\n", se.Resource)
		writeIndented(s.stderr, se.LastLines)
	}
	return silentFailure()
}

// keptNote says which containers a rollback left running: they ran before this up,
// which removes only what it created itself.
func keptNote(w io.Writer, kept []string) {
	if len(kept) == 0 {
		return
	}
	fmt.Fprintf(w, "note: %s kept running as before this up, with the network; nothing supervises them until an up succeeds: fix the error and run lsctl up -d\n", strings.Join(kept, ", "))
}

// writeIndented prints lines indented by two spaces, or "(no output)".
func writeIndented(w io.Writer, lines []string) {
	if len(lines) == 0 {
		fmt.Fprintln(w, "  (no output)")
	}
	for _, l := range lines {
		fmt.Fprintf(w, "  %s\n", l)
	}
}
