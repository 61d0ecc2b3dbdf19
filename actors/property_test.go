package actors

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/fakert"
)

// randomStack builds a random DAG of up to 30 nodes with random latencies and, in one
// run of five, one injected failure. It returns the name of the failing node ("" if none).
func randomStack(r *rand.Rand) (*planBuilder, *fakert.Runtime, string) {
	b, rt := newPlan("prop"), fakert.New()
	n := 1 + r.IntN(30)
	ms := func(max int) time.Duration { return time.Duration(r.IntN(max*1000)) * time.Microsecond }
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("r%02d", i)
		var deps []string
		for j := 0; j < i; j++ {
			if r.IntN(8) == 0 && len(deps) < 3 {
				deps = append(deps, fmt.Sprintf("r%02d", j))
			}
		}
		node := b.add(name, deps...)
		beh := fakert.Behavior{Pull: ms(3), Prepare: ms(3), Start: ms(3), Stop: ms(3)}
		if r.IntN(2) == 0 {
			node.Health = health(time.Second, time.Second, 3, time.Second)
			if r.IntN(4) == 0 { // a failing first probe costs one start-period probe gap
				beh.ProbePassAfter = ms(10)
			}
		}
		rt.Set(name, beh)
	}
	if r.IntN(5) != 0 {
		return b, rt, ""
	}
	victim := b.p.Nodes[r.IntN(n)]
	beh := fakert.Behavior{Pull: ms(3), Prepare: ms(3)}
	switch r.IntN(4) {
	case 0:
		beh.ImageErr = errors.New("pull failed")
	case 1:
		beh.PrepareErr = errors.New("create failed")
	case 2:
		beh.StartErr = errors.New("start failed")
	default:
		victim.Health = health(time.Second, time.Second, 3, time.Second)
		beh.ProbePassAfter, beh.ExitAfter, beh.ExitCode = time.Hour, ms(5)+time.Millisecond, 1
	}
	rt.Set(victim.Name, beh)
	return b, rt, victim.Name
}

// Property (docs/architecture.md testing pyramid 2): on 200 random DAGs, nobody starts before its
// dependencies are healthy, nobody stops before its dependents stopped, nothing is left
// behind, failures roll back with a report, and no run hangs.
func TestRandomDAGs(t *testing.T) {
	runs := 200
	if testing.Short() {
		runs = 30
	}
	for seed := 0; seed < runs; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			b, rt, victim := randomStack(rand.New(rand.NewPCG(uint64(seed), 42)))
			s := startStack(t, b.p, rt, fast())
			err := s.waitReady(10 * time.Second)
			var se *StartupError
			switch {
			case victim == "" && err != nil:
				t.Fatalf("unexpected failure: %v", err)
			case victim != "" && (!errors.As(err, &se) || se.Resource != victim):
				t.Fatalf("WaitReady = %v, want a failure of %s", err, victim)
			}
			s.stop(false, 10*time.Second)
			evs := s.events()
			for _, n := range b.p.Nodes {
				st := index(evs, ResourceStarting, n.Name)
				for _, d := range n.DependsOn {
					if st >= 0 && (index(evs, ResourceHealthy, d) < 0 || index(evs, ResourceHealthy, d) > st) {
						t.Fatalf("%s started before %s was healthy: %s", n.Name, d, describe(evs))
					}
				}
			}
			assertReverseStopOrder(t, evs, b)
			if err := rt.Clean(); err != nil {
				t.Fatal(err)
			}
			checkFailuresHaveEvents(t, s)
		})
	}
}
