package containerdrt

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	bkclient "github.com/moby/buildkit/client"
)

// DefaultBuildkitAddress is the --buildkit-address default (docs/spec/runtime.md §1.1).
const DefaultBuildkitAddress = "unix:///run/buildkit/buildkitd.sock"

// buildkitProbeTimeout bounds the connection check: a daemon that does not answer a
// worker listing in this time will not run a build either.
const buildkitProbeTimeout = 5 * time.Second

// buildkitAddress is the address to dial: the option, else BUILDKIT_HOST, else the
// default; a bare path means a unix socket.
func buildkitAddress(opt string) string {
	addr := opt
	if addr == "" {
		addr = os.Getenv("BUILDKIT_HOST")
	}
	if addr == "" {
		addr = DefaultBuildkitAddress
	}
	if strings.HasPrefix(addr, "/") {
		addr = "unix://" + addr
	}
	return addr
}

// buildkitUnreachable is the error of docs/spec/runtime.md §9.7 for a daemon that cannot be used.
func buildkitUnreachable(addr string, cause error) error {
	return fmt.Errorf("cannot connect to BuildKit at %s: %w (start buildkitd or set --buildkit-address / BUILDKIT_HOST)", addr, cause)
}

// connectBuildKit connects to buildkitd at addr and checks that it answers.
func connectBuildKit(ctx context.Context, addr string) (*bkclient.Client, error) {
	// A plain dial first for unix sockets: gRPC dials lazily and its errors are long.
	if path, ok := strings.CutPrefix(addr, "unix://"); ok {
		conn, err := (&net.Dialer{Timeout: dialTimeout}).DialContext(ctx, "unix", path)
		if err != nil {
			return nil, buildkitUnreachable(addr, dialCause(err))
		}
		conn.Close()
	}
	bk, err := bkclient.New(ctx, addr)
	if err != nil {
		return nil, buildkitUnreachable(addr, err)
	}
	pctx, cancel := context.WithTimeout(ctx, buildkitProbeTimeout)
	defer cancel()
	if _, err := bk.ListWorkers(pctx); err != nil {
		bk.Close()
		return nil, buildkitUnreachable(addr, err)
	}
	return bk, nil
}
