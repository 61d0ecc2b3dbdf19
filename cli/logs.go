package cli

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/containerdrt/logfile"
	"github.com/lightshuttle/lsctl/plan"
)

func (s *session) logsAction(c *ucli.Context) error {
	o, err := parseLogsOptions(c)
	if err != nil {
		return err
	}
	ld, err := s.load("", false)
	if err != nil {
		return err
	}
	project := ld.manifest.Project.Name.Value
	var declared []string
	for _, r := range ld.manifest.Resources {
		declared = append(declared, r.Name)
	}
	selected := o.Resources
	if len(selected) == 0 {
		selected = declared
	}
	for _, r := range selected {
		if !slices.Contains(declared, r) {
			return fmt.Errorf("unknown resource %q in project %q", r, project)
		}
	}
	lv := &logView{opts: o, color: s.useColor(s.stdout), width: 0, index: map[string]int{}, out: render.NewLinePrinter(s.stdout, nil)}
	for _, r := range selected {
		lv.width = max(lv.width, len(r))
		lv.index[r] = slices.Index(declared, r)
	}
	pathOf := func(r string) string { return plan.LogPath(s.opts.DataRoot, project, r) }
	offsets, err := lv.history(pathOf, selected)
	if err != nil || !o.Follow {
		return err
	}
	return s.followLogs(c.Context, lv, pathOf, selected, offsets)
}

// logView formats log records for the terminal (docs/spec/runtime.md §16.6).
type logView struct {
	opts  logsOptions
	color bool
	width int
	index map[string]int // declaration index, for the prefix colour
	out   *render.LinePrinter
}

// line renders `<name padded> | [<ts> ]<line>`.
func (lv *logView) line(resource string, r logfile.Record) string {
	var b strings.Builder
	if !lv.opts.NoPrefix {
		b.WriteString(render.Colorize(lv.color, lv.index[resource], fmt.Sprintf("%-*s |", lv.width, resource)))
		b.WriteByte(' ')
	}
	if lv.opts.Timestamps {
		b.WriteString(logfile.FormatTS(r.TS))
		b.WriteByte(' ')
	}
	b.WriteString(r.Line)
	return b.String()
}

// history prints the stored records of every resource merged by time, and returns
// where each current file ended so following continues from there.
func (lv *logView) history(pathOf func(resource string) string, resources []string) (map[string]int64, error) {
	type entry struct {
		resource string
		rec      logfile.Record
	}
	var all []entry
	offsets := map[string]int64{}
	for _, r := range resources {
		recs, off, err := logfile.ReadWithOffset(pathOf(r), lv.opts.Tail)
		if err != nil {
			return nil, fmt.Errorf("read logs of %q: %w", r, err)
		}
		offsets[r] = off
		for _, rec := range recs {
			all = append(all, entry{r, rec})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].rec.TS.Before(all[j].rec.TS) })
	for _, e := range all {
		lv.out.Printf("%s", lv.line(e.resource, e.rec))
	}
	return offsets, nil
}

// followLogs prints new records in arrival order until SIGINT or SIGTERM.
func (s *session) followLogs(ctx context.Context, lv *logView, pathOf func(resource string) string, resources []string, offsets map[string]int64) error {
	sigs, stop := s.notifySignals()
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{}, len(resources))
	for _, r := range resources {
		ch := logfile.Follow(ctx, pathOf(r), offsets[r])
		go func() {
			defer func() { done <- struct{}{} }()
			for rec := range ch {
				lv.out.Printf("%s", lv.line(r, rec))
			}
		}()
	}
	sig := <-sigs
	cancel()
	for range resources {
		<-done
	}
	return signalExit(sig)
}
