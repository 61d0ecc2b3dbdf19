package containerdrt

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Issue 11 item 4: a step that runs into its deadline names what it could not do and
// why; other outcomes pass through.
func TestTeardown(t *testing.T) {
	hang := func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}
	err := Teardown(context.Background(), 20*time.Millisecond, `remove container p_a of resource "a"`, hang)
	var te *TeardownError
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Teardown of a hanging step = %v, want a *TeardownError", err)
	}
	want := `could not remove container p_a of resource "a": deadline exceeded: containerd did not answer in 20ms`
	if err.Error() != want {
		t.Errorf("message\n got %s\nwant %s", err, want)
	}
	// Under a caller's earlier deadline, the wait is measured.
	short, cancelShort := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancelShort()
	if err := Teardown(short, time.Minute, "x", hang); !errors.As(err, &te) || te.After < 15*time.Millisecond || te.After > time.Second {
		t.Errorf("under an earlier deadline: %v", err)
	}

	boom := errors.New("boom")
	if err := Teardown(context.Background(), time.Minute, "x", func(context.Context) error { return boom }); err != boom {
		t.Errorf("a failing step: %v, want its own error", err)
	}
	if err := Teardown(context.Background(), time.Minute, "x", func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("the step has no deadline")
		}
		return nil
	}); err != nil {
		t.Errorf("a successful step: %v", err)
	}
	// A parent cancelled by the user is not a deadline: the step's error stays.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Teardown(ctx, time.Minute, "x", hang); !errors.Is(err, context.Canceled) || errors.As(err, &te) {
		t.Errorf("a cancelled step: %v", err)
	}
	network := TeardownNetworkWithin(context.Background(), hangingNetwork{}, "shop", 10*time.Millisecond)
	want = `could not remove the network of project "shop": deadline exceeded: iptables or netlink did not answer in 10ms`
	if network == nil || network.Error() != want || errors.Is(network, ErrUnavailable) || !errors.Is(network, context.DeadlineExceeded) {
		t.Errorf("network removal: %v", network)
	}
	if TeardownTimeout(time.Second) != 31*time.Second {
		t.Errorf("TeardownTimeout(1s) = %s", TeardownTimeout(time.Second))
	}
}

// hangingNetwork is a network teardown that never answers.
type hangingNetwork struct{}

func (hangingNetwork) TeardownNetwork(ctx context.Context, _ string) error {
	<-ctx.Done()
	return ctx.Err()
}
