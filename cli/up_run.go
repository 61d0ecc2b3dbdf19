package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control"
	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/containerdrt/logfile"
	"github.com/lightshuttle/lsctl/plan"
)

// upLoop is the foreground event loop of one `up`: it prints state lines, reacts to
// signals (docs/spec/runtime.md §12.8) and streams logs once the stack is ready.
type upLoop struct {
	s       *session
	st      *upState
	h       *actors.Handle
	tel     *telemetry
	out     *render.LinePrinter
	lines   *render.EventLines
	sizes   map[string]int64
	started time.Time

	table *render.LiveTable // terminal view while starting or stopping; nil in plain mode
	tty   bool

	firstSig   os.Signal
	stopAsked  bool // by a signal or through the control API
	killed     bool
	startupErr error
	stopLogs   context.CancelFunc

	closeControl func()
	dropped      map[string]int64 // per resource, the dropped log lines already reported
	apiStop      chan stopRequest // POST /api/shutdown
	release      chan struct{}    // POST /api/release (background supervisor only)
}

// stopRequest is a shutdown asked for through the control API.
type stopRequest struct {
	grace time.Duration
	kill  bool
}

// runUp starts the actors and runs the loop until the stack is stopped (foreground)
// or ready (-d).
func (s *session) runUp(ctx context.Context, st *upState, sigs <-chan os.Signal) error {
	p := st.plan
	updates := st.progressUpdates()
	st.builds = &buildTails{}
	rt := progressRuntime{Runtime: st.rt, updates: updates, builds: st.builds, redact: p.Redactor().Redact}
	// The receiver serves while this process owns the stack; -d without a
	// supervisor (tests) leaves the stack to nobody.
	tel := s.startTelemetry(st, !st.opts.Detach)
	defer tel.close()
	o := s.actorOptions(p, st.opts, st.builds)
	o.Phase = tel.startup.phase
	o.Images = st.images
	h := actors.New(p, rt, o)
	events, unsubscribe := h.Subscribe(false)
	defer unsubscribe()
	if !st.opts.Detach {
		history, _ := h.Subscribe(false)
		go tel.follow(history)
	}
	if st.opts.Detach {
		if st.opts.DashboardPort >= 0 || (p.Manifest != nil && p.Manifest.Dashboard != nil) {
			fmt.Fprintln(s.stderr, "warning: the dashboard needs a foreground up; ignored with -d")
		}
		// -d serves no API, but a socket left by a killed up must not outlive it.
		if err := control.RemoveStaleSocket(control.Socket(s.opts.DataRoot, p.Project)); err != nil {
			return err
		}
	}
	l := &upLoop{s: s, st: st, h: h, tel: tel, out: render.NewLinePrinter(s.stdout, s.upLog), lines: render.NewEventLines(p, h, st.subnet),
		sizes: logSizes(s.opts.DataRoot, p), started: time.Now(), tty: render.IsTerminal(s.stdout),
		apiStop: make(chan stopRequest, 4), release: make(chan struct{}, 1)}
	if !st.opts.Detach {
		srv, err := s.startControl(p, h, st.opts.DashboardPort, l.ownerHooks(), tel)
		if err != nil {
			return err
		}
		defer srv.Close()
		l.closeControl = srv.Close
	}
	for _, n := range p.Nodes {
		if d, err := logfile.ReadDropped(plan.LogPath(s.opts.DataRoot, p.Project, n.Name)); err == nil && d.Count > 0 {
			if l.dropped == nil {
				l.dropped = map[string]int64{}
			}
			l.dropped[n.Name] = d.Count
		}
	}
	h.Run()
	dropTick := time.NewTicker(droppedCheckEvery)
	defer dropTick.Stop()
	readyCh := make(chan error, 1)
	go func() { readyCh <- h.WaitReady(ctx) }()
	startedCount := 0
	// Pulls may report before the engine runs (§12.2 step 3); their lines wait for the
	// stack's first line.
	var progress <-chan imageProgress
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return l.finish()
			}
			l.show(e)
			switch e.Type {
			case actors.StackStarting:
				progress = updates
			case actors.ResourceStarted:
				if startedCount++; startedCount >= len(p.Nodes) {
					st.releaseDataRoot() // every container holding a port exists (§12.9)
				}
			case actors.StackStarted:
				// Driven by the event rather than WaitReady, so every line of the
				// startup is printed before the ready line.
				tel.startup.finish(e.TS, true)
				st.releaseDataRoot()
				l.drain(updates)
				if l.ready() {
					return nil
				}
			}
		case err := <-readyCh:
			readyCh = nil
			if err != nil {
				st.releaseDataRoot()
				l.startupErr = err
			}
		case u := <-progress:
			l.progress(u)
		case sig := <-sigs:
			l.signal(sig)
		case r := <-l.apiStop:
			l.stop(r.grace, r.kill)
		case <-l.release:
			l.handOver()
		case <-dropTick.C:
			l.warnDropped()
		}
	}
}

// handOverQuiesce bounds the wait for in-flight probes before a released supervisor
// exits: a probe's exec interrupted half-way stays in the shim, which then holds back
// the container's exit.
const handOverQuiesce = 5 * time.Second

// droppedCheckEvery is how often up looks for log lines the log drivers dropped.
const droppedCheckEvery = 2 * time.Second

// warnDropped prints a warning whenever a log driver dropped lines since the last
// look (its log could not be written: a full disk).
func (l *upLoop) warnDropped() {
	if l.dropped == nil {
		l.dropped = map[string]int64{}
	}
	for _, n := range l.st.plan.Nodes {
		d, err := logfile.ReadDropped(plan.LogPath(l.s.opts.DataRoot, l.st.plan.Project, n.Name))
		if err != nil || d.Count <= l.dropped[n.Name] {
			continue
		}
		l.out.Printf("warning: %s: %d log line(s) dropped so far: %s", n.Name, d.Count, d.Error)
		l.dropped[n.Name] = d.Count
	}
}

// ownerHooks connects the control API's shutdown and release endpoints to the loop.
func (l *upLoop) ownerHooks() *control.Owner {
	own := &control.Owner{Supervisor: l.s.supervisor != nil, Shutdown: func(grace time.Duration, kill bool) {
		select {
		case l.apiStop <- stopRequest{grace, kill}:
		default: // a shutdown is already queued; more of them change nothing
		}
	}}
	if l.s.supervisor != nil {
		own.Release = func() error {
			if l.h.Stopping() {
				return errStackStopping
			}
			if !l.h.Running() {
				return errors.New("the stack is starting; try again once it is ready")
			}
			select {
			case l.release <- struct{}{}:
			default:
			}
			return nil
		}
	}
	return own
}

// handOver ends a background supervisor without stopping anything: a new supervisor
// adopts the stack. The process exits at once, so that no probe or restart of this
// engine acts on the stack once the project lock is free.
func (l *upLoop) handOver() {
	l.h.Detach(handOverQuiesce)
	l.out.Printf("[%s] handed over to a new supervisor", l.st.plan.Project)
	if l.closeControl != nil {
		l.closeControl() // answers the release request before the socket goes
	}
	os.Exit(0)
}

// drain shows the updates already queued: they were sent before the runtime calls
// that produced them returned, hence before the stack could become ready.
func (l *upLoop) drain(updates <-chan imageProgress) {
	for {
		select {
		case u := <-updates:
			l.progress(u)
		default:
			return
		}
	}
}

// progress shows an image update: in the live table, or as a final plain line.
func (l *upLoop) progress(u imageProgress) {
	if l.table != nil && l.st.plan.Node(u.resource) != nil {
		l.table.Set(u.resource, "", render.ProgressDetail(u.resource, u.ProgressUpdate))
		return
	}
	if line := render.ProgressLine(u.resource, u.ProgressUpdate); line != "" {
		l.out.Printf("%s", line)
	}
}

// show prints an event: into the live table while the stack starts or stops on a
// terminal, else as a plain line.
func (l *upLoop) show(e actors.Event) {
	line := l.lines.Render(e)
	switch {
	case e.Type == actors.StackStarting || e.Type == actors.StackStopping:
		if l.tty {
			l.table = render.NewLiveTable(l.out, l.s.useColor(l.s.stdout), nodeNames(l.st.plan))
			for _, v := range l.h.List() {
				l.table.Seed(v.Name, string(v.Status))
			}
		}
	case e.Type == actors.StackStarted || e.Type == actors.StackStopped:
		if l.table != nil {
			l.table.Release()
			l.table = nil
		}
	case l.table != nil && e.Resource != "":
		status := ""
		if v, ok := l.h.Get(e.Resource); ok {
			status = string(v.Status)
		}
		l.table.Set(e.Resource, status, strings.TrimPrefix(line, e.Resource+": "))
		if line != "" {
			l.out.Logf("%s", line)
		}
		return
	case e.Type == actors.ResourceBuilding:
		// Printed from the build's own progress instead, which orders it before the
		// step lines; the event travels another channel (docs/spec/runtime.md §9.7).
		return
	}
	if line != "" {
		l.out.Printf("%s", line)
	}
	for _, w := range l.lines.Waiting(e) {
		l.out.Printf("%s", w)
	}
}

func nodeNames(p *plan.Plan) []string {
	names := make([]string, len(p.Nodes))
	for i, n := range p.Nodes {
		names[i] = n.Name
	}
	return names
}

// ready handles a successful startup; it reports whether up -d is done.
func (l *upLoop) ready() bool {
	p := l.st.plan
	l.out.Printf("[%s] ready: %d resource(s) in %s", p.Project, len(p.Nodes), render.RoundDuration(time.Since(l.started)))
	if line := l.tel.startup.criticalLine(); line != "" {
		l.out.Printf("[%s] %s", p.Project, line)
	}
	l.tel.exportStartup()
	if sv := l.s.supervisor; sv != nil {
		l.out.Printf("[%s] supervised in the background (pid %d, log %s)", p.Project, os.Getpid(), ownerLogPath(l.s.opts.DataRoot, p.Project))
		sv.ready()
	}
	if l.st.opts.Detach {
		return true
	}
	if !l.st.opts.Quiet && !l.stopAsked {
		l.stopLogs = l.s.streamUpLogs(p, l.sizes, l.out)
	}
	return false
}

// signal: the first SIGINT/SIGTERM shuts down gracefully, the second kills every
// remaining task, further ones are ignored (docs/spec/runtime.md §12.8).
func (l *upLoop) signal(sig os.Signal) {
	if l.firstSig == nil && !l.stopAsked {
		l.firstSig = sig
	}
	l.stop(0, l.stopAsked)
}

// stop begins the shutdown, or kills every remaining task when one is under way.
func (l *upLoop) stop(grace time.Duration, kill bool) {
	switch {
	case !l.stopAsked && !kill:
		l.stopAsked = true
		if l.stopLogs != nil {
			l.stopLogs()
		}
		l.h.ShutdownWithGrace(grace)
	case !l.killed:
		l.stopAsked, l.killed = true, true
		if l.stopLogs != nil {
			l.stopLogs()
		}
		l.h.Shutdown(true)
	}
}

// finish runs once the event stream ended (the stack is stopped) and picks the exit.
func (l *upLoop) finish() error {
	<-l.h.Done()
	if l.stopLogs != nil {
		l.stopLogs()
	}
	if l.firstSig != nil {
		// A failed shutdown step is still reported (docs/spec/runtime.md §12.7); the exit code
		// stays the signal's (§12.8), unless containerd did not answer: then something
		// may be left, and the exit code is 1 (issue 11 item 4).
		if err := l.h.Err(); err != nil {
			printErrors(l.s.stderr, err)
			if printNoAnswerHint(render.NewLinePrinter(l.s.stderr, nil), err) {
				return silentFailure()
			}
		}
		return signalExit(l.firstSig)
	}
	if l.startupErr == nil {
		l.startupErr = l.h.WaitReady(context.Background())
	}
	if l.startupErr != nil {
		l.tel.startup.finish(time.Now(), false)
		l.tel.exportStartup()
	}
	if l.startupErr != nil && !errors.Is(l.startupErr, actors.ErrStartupCancelled) {
		report := l.s.startupReport(l.startupErr, l.st.builds)
		if err := l.h.Err(); err != nil { // the rollback's own failures
			printErrors(l.s.stderr, err)
			printNoAnswerHint(render.NewLinePrinter(l.s.stderr, nil), err)
		}
		return report
	}
	if err := l.h.Err(); err != nil {
		return err
	}
	return nil
}

// streamUpLogs follows every resource's log from where it was when up began, printing
// `<resource padded> | <line>` (docs/spec/runtime.md §16.3). The returned func stops it.
func (s *session) streamUpLogs(p *plan.Plan, sizes map[string]int64, out *render.LinePrinter) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	lv := &logView{color: s.useColor(s.stdout), index: map[string]int{}, out: out}
	for i, n := range p.Nodes {
		lv.width = max(lv.width, len(n.Name))
		lv.index[n.Name] = i
	}
	for _, n := range p.Nodes {
		ch := logfile.Follow(ctx, plan.LogPath(s.opts.DataRoot, p.Project, n.Name), sizes[n.Name])
		go func() {
			for rec := range ch {
				out.Screenf("%s", lv.line(n.Name, rec))
			}
		}()
	}
	return cancel
}
