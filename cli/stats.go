package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/containerdrt"
)

// statsInterval is how often stats samples and redraws, as docker stats does.
const statsInterval = time.Second

func (s *session) statsCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "stats",
		Usage:     "show resources' CPU, memory, network, block I/O and process use",
		UsageText: "lsctl stats [--no-stream] [--json] [RESOURCE...]",
		Description: "No name shows every running resource. Refreshes every second until Ctrl-C; CPU % is of one core " +
			"(200% is two cores busy); the memory limit is the host's memory when none is set.",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "no-stream", Usage: "print one reading and exit"},
			&ucli.BoolFlag{Name: "json", Usage: "print one JSON object per resource and reading (NDJSON)"},
		},
		Action: s.statsAction,
	}
}

func (s *session) statsAction(c *ucli.Context) error {
	ld, names, err := s.loadNamed(c)
	if err != nil {
		return err
	}
	views, _, err := s.resourceViews(c.Context, ld)
	if err != nil {
		return err
	}
	targets, err := runningTargets(ld, views, names)
	if err != nil {
		return err
	}
	rt, err := s.connect(c.Context, containerdrt.PullMissing, false)
	if err != nil {
		return err
	}
	defer rt.Close()
	ticker := time.NewTicker(statsInterval)
	defer ticker.Stop()
	st := &statsView{src: rt, targets: targets, json: c.Bool("json"), redraw: render.TerminalFile(s.stdout) != nil, prev: map[string]containerdrt.Sample{}}
	return s.withSignals(c.Context, func(ctx context.Context) error {
		return st.run(ctx, s.stdout, ticker.C, !c.Bool("no-stream"))
	})
}

// statsSource reads a container's resource use (the containerd client).
type statsSource interface {
	Stats(ctx context.Context, id string) (containerdrt.Sample, error)
}

// statsView samples the targets and prints rates from consecutive samples.
type statsView struct {
	src     statsSource
	targets []actors.View
	json    bool
	redraw  bool // a terminal: each reading replaces the previous one
	prev    map[string]containerdrt.Sample
	printed int
}

// run takes a first sample, then one per tick, printing each reading; without
// stream it stops after the first reading (which needs two samples).
func (st *statsView) run(ctx context.Context, w io.Writer, tick <-chan time.Time, stream bool) error {
	st.sample(ctx)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick:
		}
		rows := st.sample(ctx)
		if len(rows) == 0 {
			return fmt.Errorf("no resource to show is running any more")
		}
		if err := st.print(w, rows); err != nil || !stream {
			return err
		}
	}
}

// statsRow is one resource's reading, rates over the last interval.
type statsRow struct {
	Name          string    `json:"name"`
	TS            time.Time `json:"-"`
	CPUPercent    float64   `json:"cpu_percent"`
	MemoryUsage   uint64    `json:"memory_usage"`
	MemoryLimit   uint64    `json:"memory_limit"`
	MemoryPercent float64   `json:"memory_percent"`
	NetRx         uint64    `json:"net_rx"`
	NetTx         uint64    `json:"net_tx"`
	BlockRead     uint64    `json:"block_read"`
	BlockWrite    uint64    `json:"block_write"`
	PIDs          uint64    `json:"pids"`
}

// sample reads every target and returns the rows of those with a previous sample; a
// resource whose task has gone is left out.
func (st *statsView) sample(ctx context.Context) []statsRow {
	var rows []statsRow
	for _, v := range st.targets {
		cur, err := st.src.Stats(ctx, *v.ContainerID)
		if err != nil {
			delete(st.prev, v.Name)
			continue
		}
		prev, ok := st.prev[v.Name]
		st.prev[v.Name] = cur
		if ok {
			rows = append(rows, rowOf(v.Name, prev, cur))
		}
	}
	return rows
}

// rowOf computes a reading from two samples of the same task.
func rowOf(name string, prev, cur containerdrt.Sample) statsRow {
	r := statsRow{Name: name, TS: cur.At, MemoryUsage: cur.MemUsage, MemoryLimit: cur.MemLimit,
		NetRx: cur.NetRx, NetTx: cur.NetTx, BlockRead: cur.BlockRead, BlockWrite: cur.BlockWrite, PIDs: cur.PIDs}
	if wall := cur.At.Sub(prev.At); wall > 0 && cur.CPU >= prev.CPU {
		r.CPUPercent = float64(cur.CPU-prev.CPU) / float64(wall) * 100
	}
	if cur.MemLimit > 0 {
		r.MemoryPercent = float64(cur.MemUsage) / float64(cur.MemLimit) * 100
	}
	return r
}

// print writes one reading: NDJSON, or a table that replaces the previous one on a
// terminal and follows it after a blank line elsewhere.
func (st *statsView) print(w io.Writer, rows []statsRow) error {
	if st.json {
		for _, r := range rows {
			data, err := render.MarshalJSON(struct {
				statsRow
				TS string `json:"ts"`
			}{r, r.TS.UTC().Format(actors.TimeFormat)}, false)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "%s\n", data)
		}
		return nil
	}
	switch {
	case st.redraw:
		fmt.Fprint(w, "\x1b[H\x1b[2J")
	case st.printed > 0:
		fmt.Fprintln(w)
	}
	st.printed++
	table := [][]string{{"NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"}}
	for _, r := range rows {
		table = append(table, []string{r.Name, fmt.Sprintf("%.2f%%", r.CPUPercent),
			binarySize(r.MemoryUsage) + " / " + binarySize(r.MemoryLimit), fmt.Sprintf("%.2f%%", r.MemoryPercent),
			decimalSize(r.NetRx) + " / " + decimalSize(r.NetTx), decimalSize(r.BlockRead) + " / " + decimalSize(r.BlockWrite),
			fmt.Sprint(r.PIDs)})
	}
	render.WriteTable(w, table)
	return nil
}

// binarySize renders bytes in KiB, MiB, GiB (memory, as docker stats does).
func binarySize(n uint64) string {
	return humanSize(float64(n), 1024, []string{"B", "KiB", "MiB", "GiB", "TiB"})
}

// decimalSize renders bytes in kB, MB, GB (traffic, as docker stats does).
func decimalSize(n uint64) string {
	return humanSize(float64(n), 1000, []string{"B", "kB", "MB", "GB", "TB"})
}

func humanSize(v, base float64, units []string) string {
	i := 0
	for v >= base && i < len(units)-1 {
		v /= base
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f%s", v, units[0])
	}
	return fmt.Sprintf("%.4g%s", v, units[i])
}
