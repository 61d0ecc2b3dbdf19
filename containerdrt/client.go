package containerdrt

import (
	"sync"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
)

// Client is the containerd implementation of Runtime. The container/image/task side
// lives in connect.go, images.go, pull.go, load.go, imageconfig.go, spec.go,
// container.go, stop.go, exec.go, list.go; the network/volume side in network.go,
// cni.go, netns.go, hostsfiles.go, ports.go, volumes.go, lock.go.
type Client struct {
	cd   *containerd.Client
	opts Options
	net  netState // owned by the network side (network.go)

	pulls pullGroup // one pull per image reference at a time (docs/spec/runtime.md §9.3)

	execTargets execTargetCache // task and process spec per container, for probes

	health healthCache // the last Health answer (health.go)

	staleMu    sync.Mutex // guards staleSwept
	staleSwept time.Time  // the last releaseStaleExecs sweep
}

// pullGroup lets resources sharing an image wait for a single pull.
type pullGroup struct {
	mu       sync.Mutex
	inFlight map[string]*pullCall
}

// pullCall is one pull in progress; done is closed when err is set.
type pullCall struct {
	done chan struct{}
	err  error
	// watchers receive the progress of the shared pull.
	mu       sync.Mutex
	watchers []Progress
}

var _ Runtime = (*Client)(nil)
