package fakert

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/plan"
)

func spec(name string) *plan.ContainerSpec {
	return &plan.ContainerSpec{ID: "p_" + name, Project: "p", Resource: name, Image: "img"}
}

func TestLifecycleAndClean(t *testing.T) {
	ctx := context.Background()
	rt := New()
	if err := rt.EnsureNetwork(ctx, &plan.Plan{Project: "p"}); err != nil {
		t.Fatal(err)
	}
	c, err := rt.Prepare(ctx, spec("a"))
	if err != nil {
		t.Fatal(err)
	}
	if rt.Running("a") {
		t.Fatal("running before Start")
	}
	if err := c.Start(ctx); err != nil || !rt.Running("a") {
		t.Fatalf("Start: %v", err)
	}
	if rt.Clean() == nil {
		t.Fatal("Clean must report the container and the network")
	}
	code, err := rt.Stop(ctx, c.ID(), "", time.Second)
	if err != nil || code != 143 {
		t.Fatalf("Stop = %d, %v", code, err)
	}
	if st := <-c.Exited(); st.Code != 143 {
		t.Fatalf("exit %d", st.Code)
	}
	if _, ok := <-c.Exited(); ok {
		t.Fatal("Exited delivers once then closes")
	}
	_ = rt.Remove(ctx, c.ID())
	_ = rt.TeardownNetwork(ctx, "p")
	if err := rt.Clean(); err != nil {
		t.Fatal(err)
	}
	ops := []string{}
	for _, c := range rt.Calls() {
		ops = append(ops, c.Op)
	}
	want := []string{"ensure-network", "prepare", "start", "stop", "remove", "teardown-network"}
	if len(ops) != len(want) {
		t.Fatalf("calls %v", ops)
	}
	for i := range want {
		if ops[i] != want[i] {
			t.Fatalf("calls %v, want %v", ops, want)
		}
	}
}

func TestInjectedFailuresAndLatency(t *testing.T) {
	ctx := context.Background()
	rt := New()
	boom := errors.New("boom")
	rt.Set("a", Behavior{ImageErr: boom})
	rt.Set("b", Behavior{PrepareErr: boom})
	rt.Set("c", Behavior{StartErr: boom})
	rt.Set("d", Behavior{Pull: time.Hour})
	if err := rt.EnsureImage(ctx, spec("a"), nil); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, err := rt.Prepare(ctx, spec("b")); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	c, _ := rt.Prepare(ctx, spec("c"))
	if err := c.Start(ctx); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := rt.EnsureImage(cctx, spec("d"), nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled pull: %v", err)
	}
	rt.SetNetworkErr(boom)
	if err := rt.EnsureNetwork(ctx, &plan.Plan{Project: "p"}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
}

func TestProbesExitsAndKill(t *testing.T) {
	ctx := context.Background()
	rt := New()
	rt.Set("a", Behavior{ProbePassAfter: 20 * time.Millisecond, IgnoreTerm: true, PortAfter: 10 * time.Millisecond})
	rt.Set("b", Behavior{ExitAfter: 5 * time.Millisecond, ExitCode: 3})
	rt.Set("t", Behavior{ProbeLatency: 50 * time.Millisecond})
	a, _ := rt.Prepare(ctx, spec("a"))
	_ = a.Start(ctx)
	if res, _ := rt.Exec(ctx, a.ID(), containerdrt.ExecRequest{}); res.ExitCode == 0 {
		t.Fatal("probe passed too early")
	}
	if err := rt.WaitPort(ctx, a.IP()+":5432"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // ProbePassAfter is measured on the wall clock
	if res, _ := rt.Exec(ctx, a.ID(), containerdrt.ExecRequest{}); res.ExitCode != 0 {
		t.Fatal("probe still failing")
	}
	tc, _ := rt.Prepare(ctx, spec("t"))
	_ = tc.Start(ctx)
	if res, _ := rt.Exec(ctx, tc.ID(), containerdrt.ExecRequest{Timeout: 5 * time.Millisecond}); !res.TimedOut {
		t.Fatal("probe over its timeout must time out")
	}
	b, _ := rt.Prepare(ctx, spec("b"))
	_ = b.Start(ctx)
	if st := <-b.Exited(); st.Code != 3 {
		t.Fatalf("exit %d", st.Code)
	}
	done := make(chan int)
	go func() { code, _ := rt.Stop(ctx, a.ID(), "", time.Hour); done <- code }()
	for len(rt.CallsOf("stop")) == 0 {
		time.Sleep(time.Millisecond)
	}
	_ = rt.Kill(ctx, a.ID())
	if code := <-done; code != 137 {
		t.Fatalf("killed stop = %d", code)
	}
	if err := rt.Exit("a", 1); err == nil {
		t.Fatal("Exit of a stopped task must fail")
	}
}

func TestOutageHoldsExitsAndLostWatch(t *testing.T) {
	ctx := context.Background()
	rt := New()
	a, _ := rt.Prepare(ctx, spec("a"))
	_ = a.Start(ctx)
	rt.SetUnavailable(true)
	if _, err := rt.Exec(ctx, a.ID(), containerdrt.ExecRequest{}); !errors.Is(err, containerdrt.ErrUnavailable) {
		t.Fatalf("exec during an outage: %v", err)
	}
	if err := rt.Health(ctx); !errors.Is(err, containerdrt.ErrUnavailable) {
		t.Fatalf("health during an outage: %v", err)
	}
	_ = rt.Exit("a", 9)
	select {
	case st := <-a.Exited():
		t.Fatalf("exit %v delivered during the outage", st)
	default:
	}
	rt.SetUnavailable(false)
	if st := <-a.Exited(); st.Code != 9 || rt.Health(ctx) != nil {
		t.Fatalf("held exit %d after the outage", st.Code)
	}

	b, _ := rt.Prepare(ctx, spec("b"))
	_ = b.Start(ctx)
	if err := rt.BreakExitStream("b"); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-b.Exited(); ok || !rt.Running("b") {
		t.Fatal("a broken stream closes without a value while the task runs")
	}
	again, err := rt.Watch(ctx, b.ID())
	if err != nil {
		t.Fatal(err)
	}
	_ = rt.Exit("b", 4)
	if st := <-again; st.Code != 4 {
		t.Fatalf("watched again: exit %d", st.Code)
	}
	gone, _ := rt.Watch(ctx, "p_missing")
	if st := <-gone; st.Code != containerdrt.UnknownExitCode {
		t.Fatalf("watch of a missing container: exit %d", st.Code)
	}
}

func TestFreeze(t *testing.T) {
	ctx := context.Background()
	rt := New()
	c, _ := rt.Prepare(ctx, spec("a"))
	rt.Freeze()
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := rt.Remove(short, c.ID()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Remove on a frozen runtime = %v, want its deadline", err)
	}
	if err := rt.TeardownNetwork(short, "p"); err != nil {
		t.Fatalf("the network stays answered: %v", err)
	}
	done := make(chan error)
	go func() { done <- rt.Remove(ctx, c.ID()) }()
	rt.Thaw()
	if err := <-done; err != nil || rt.Clean() != nil {
		t.Fatalf("Remove after Thaw = %v, left %v", err, rt.Clean())
	}
}
