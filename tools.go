//go:build tools

// Package main's tools.go pins the modules the packages under construction will import,
// so that `go mod tidy` keeps them while those packages are being written.
package main

import (
	_ "github.com/asynkron/protoactor-go/actor"
	_ "github.com/containerd/containerd/v2/client"
	_ "github.com/containerd/containerd/v2/pkg/oci"
	_ "github.com/containerd/go-cni"
	_ "github.com/creack/pty"
	_ "github.com/distribution/reference"
	_ "github.com/fsnotify/fsnotify"
	_ "github.com/opencontainers/runtime-spec/specs-go"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/urfave/cli/v2"
	_ "go.uber.org/goleak"
	_ "gopkg.in/yaml.v3"
)
