package cli

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/containerdrt"
)

// fakeStats returns queued samples per container; none left is a gone task.
type fakeStats map[string][]containerdrt.Sample

func (f fakeStats) Stats(_ context.Context, id string) (containerdrt.Sample, error) {
	q := f[id]
	if len(q) == 0 {
		return containerdrt.Sample{}, errors.New("no task")
	}
	f[id] = q[1:]
	return q[0], nil
}

// Issue 13: stats shows rates from consecutive samples, as a table or NDJSON, and
// stops after one reading with --no-stream.
func TestStatsView(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sample := func(at time.Duration, cpu time.Duration, rx uint64) containerdrt.Sample {
		return containerdrt.Sample{At: t0.Add(at), CPU: cpu, MemUsage: 50 << 20, MemLimit: 200 << 20,
			NetRx: rx, NetTx: 1500, BlockRead: 4 << 20, BlockWrite: 0, PIDs: 3}
	}
	db, api := "shop_db", "shop_api"
	targets := []actors.View{{Name: "db", ContainerID: &db}, {Name: "api", ContainerID: &api}}
	tick := make(chan time.Time, 3)
	tick <- t0
	tick <- t0
	src := fakeStats{
		db:  {sample(0, time.Second, 1000), sample(time.Second, 1500*time.Millisecond, 3000), sample(2*time.Second, 2*time.Second, 3000), sample(3*time.Second, 2500*time.Millisecond, 3000)},
		api: {sample(0, 0, 0), sample(time.Second, 0, 0)}, // its task ends after the first reading
	}
	var b strings.Builder
	st := &statsView{src: src, targets: targets, prev: map[string]containerdrt.Sample{}}
	err := st.run(context.Background(), &b, tick, false)
	want := "NAME  CPU %   MEM USAGE / LIMIT  MEM %   NET I/O      BLOCK I/O     PIDS\n" +
		"db    50.00%  50MiB / 200MiB     25.00%  3kB / 1.5kB  4.194MB / 0B  3\n" +
		"api   0.00%   50MiB / 200MiB     25.00%  0B / 1.5kB   4.194MB / 0B  3\n"
	if err != nil || b.String() != want {
		t.Errorf("--no-stream: %v\n%s\nwant\n%s", err, b.String(), want)
	}
	b.Reset()
	st.json = true
	tick <- t0
	if err := st.run(context.Background(), &b, tick, false); err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"name":"db","cpu_percent":50,"memory_usage":52428800,"memory_limit":209715200,"memory_percent":25,"net_rx":3000,"net_tx":1500,"block_read":4194304,"block_write":0,"pids":3,"ts":"2026-01-02T03:04:08.000000000Z"}` + "\n"
	if b.String() != wantJSON {
		t.Errorf("--json:\n%s\nwant\n%s", b.String(), wantJSON)
	}
}
