package containerdrt

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

func TestWaitPort(t *testing.T) {
	// WaitPort starts on a port nobody listens on; the listener appears afterwards.
	// Another process may grab the released port in between: then try another.
	for attempt := 0; attempt < 5; attempt++ {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		done := make(chan error, 1)
		go func() { done <- (&Client{}).WaitPort(ctx, addr) }()
		l, err = net.Listen("tcp4", addr)
		if err != nil {
			cancel()
			<-done
			continue
		}
		err = <-done
		cancel()
		l.Close()
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatal("no port stayed free long enough")
}

func TestWaitPortCancelled(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = (&Client{}).WaitPort(ctx, addr)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}
