package containerdrt

import (
	containerd "github.com/containerd/containerd/v2/client"
)

// Client is the containerd implementation of Runtime. The container/image/task side
// lives in client_*.go, images.go, spec.go, container.go, stop.go, exec.go, list.go;
// the network/volume side in network.go, cni.go, netns.go, hostsfiles.go, ports.go,
// volumes.go, lock.go.
type Client struct {
	cd   *containerd.Client
	opts Options
	net  netState // owned by the network side (network.go)
}

// The core engineer adds `var _ Runtime = (*Client)(nil)` once every method exists.
