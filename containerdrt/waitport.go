package containerdrt

import (
	"context"
	"fmt"
	"net"
	"time"
)

// waitPortInterval is the pause between TCP connect attempts.
const waitPortInterval = 10 * time.Millisecond

// WaitPort waits until a TCP connection to addr ("ip:port") succeeds, trying every
// 10 ms, or until ctx ends (docs/spec/runtime.md §11.2, default postgres/redis probes).
func (c *Client) WaitPort(ctx context.Context, addr string) error {
	var d net.Dialer
	tick := time.NewTicker(waitPortInterval)
	defer tick.Stop()
	for {
		attempt, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := d.DialContext(attempt, "tcp", addr)
		cancel()
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s to accept connections: %w (last error: %v)", addr, ctx.Err(), err)
		case <-tick.C:
		}
	}
}
