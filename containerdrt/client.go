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

	execTargets execTargetCache // task and process spec per container, for probes

	health healthCache // the last Health answer (health.go)

	staleMu    sync.Mutex // guards staleSwept
	staleSwept time.Time  // the last releaseStaleExecs sweep
}

var _ Runtime = (*Client)(nil)
