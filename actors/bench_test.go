package actors

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt/fakert"
)

// benchStack runs one stack to readiness and back down, returning the stack.
func benchStack(b *testing.B, pb *planBuilder, rt *fakert.Runtime) *stack {
	b.Helper()
	s := startStack(b, pb.p, rt, fast())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.h.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	s.stop(false, 30*time.Second)
	return s
}

// dag100 is a 100-node DAG: ten layers of ten, each node depending on two nodes of the
// previous layer.
func dag100() *planBuilder {
	pb := newPlan("bench")
	for l := 0; l < 10; l++ {
		for i := 0; i < 10; i++ {
			var deps []string
			if l > 0 {
				deps = []string{fmt.Sprintf("n%d_%d", l-1, i), fmt.Sprintf("n%d_%d", l-1, (i+3)%10)}
			}
			pb.add(fmt.Sprintf("n%d_%d", l, i), deps...)
		}
	}
	return pb
}

// BenchmarkUpDown100: bring-up and teardown of a 100-node DAG, zero latency.
func BenchmarkUpDown100(b *testing.B) {
	for i := 0; i < b.N; i++ {
		benchStack(b, dag100(), fakert.New())
	}
}

// BenchmarkGatingLatency: from a dependency's readiness to its dependent's task start
// (targets p50 < 1 ms, p99 < 5 ms).
func BenchmarkGatingLatency(b *testing.B) {
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		pb := newPlan("gate")
		for k := 0; k < 20; k++ {
			if k == 0 {
				pb.add("c0")
			} else {
				pb.add(fmt.Sprintf("c%d", k), fmt.Sprintf("c%d", k-1))
			}
		}
		s := benchStack(b, pb, fakert.New())
		evs := s.events()
		for k := 1; k < 20; k++ {
			ready := evs[index(evs, ResourceHealthy, fmt.Sprintf("c%d", k-1))].TS
			var start time.Time
			for _, c := range s.rt.CallsOf("start") {
				if c.Resource == fmt.Sprintf("c%d", k) {
					start = c.At
				}
			}
			lat = append(lat, start.Sub(ready))
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}

// BenchmarkChain10: a chain of 10 whose tasks take 50 ms to start is ready within 5 %
// of 500 ms.
func BenchmarkChain10(b *testing.B) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		pb := newPlan("chain")
		rt := fakert.New()
		for k := 0; k < 10; k++ {
			name := fmt.Sprintf("c%d", k)
			if k == 0 {
				pb.add(name)
			} else {
				pb.add(name, fmt.Sprintf("c%d", k-1))
			}
			rt.Set(name, fakert.Behavior{Start: 50 * time.Millisecond})
		}
		s := benchStack(b, pb, rt)
		evs := s.events()
		total += evs[index(evs, StackStarted, "")].TS.Sub(evs[index(evs, StackStarting, "")].TS)
	}
	ms := float64(total.Microseconds()) / 1000 / float64(b.N)
	b.ReportMetric(ms, "ready_ms")
	b.ReportMetric((ms-500)/5, "overhead_%")
}
