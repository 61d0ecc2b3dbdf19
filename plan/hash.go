package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// configHashVersion changes whenever the hashed content changes meaning.
const configHashVersion = 1

// hashMount and hashPort have their fields in alphabetical JSON-key order, so that
// encoding/json emits canonical JSON (keys sorted) without a generic canonicaliser.
type hashMount struct {
	Digest   string `json:"digest,omitempty"` // of a secret file's content
	ReadOnly bool   `json:"read_only"`
	Source   string `json:"source"`
	Target   string `json:"target"`
}

type hashPort struct {
	ContainerPort uint16 `json:"container_port"`
	HostIP        string `json:"host_ip"`
	HostPort      uint16 `json:"host_port"`
}

// hashInput is the hashed content of docs/spec/runtime.md §4.3, fields in alphabetical key order.
type hashInput struct {
	Argv       []string    `json:"argv"`
	DiffIDs    []string    `json:"diff_ids"`
	Env        []string    `json:"env"`
	Hostname   string      `json:"hostname"`
	Image      string      `json:"image"`
	IP         string      `json:"ip"`
	Kind       string      `json:"kind"`
	Mounts     []hashMount `json:"mounts"`
	Ports      []hashPort  `json:"ports"`
	StopSignal string      `json:"stop_signal"`
	User       string      `json:"user"`
	Version    int         `json:"version"`
	WorkingDir string      `json:"working_dir"`
}

// ConfigHash is the configuration hash of docs/spec/runtime.md §4.3: SHA-256 of the canonical JSON
// of what decides a container's behaviour. Healthcheck, restart policy, actual host
// ports and labels are left out so that changing them does not recreate the container.
func ConfigHash(s *ContainerSpec, img ImageConfig) (string, error) {
	proc, err := MergeProcess(s, img)
	if err != nil {
		return "", err
	}
	env := append([]string(nil), proc.Env...)
	sort.Strings(env)
	in := hashInput{
		Argv:       proc.Args,
		DiffIDs:    nonNil(img.DiffIDs),
		Env:        env,
		Hostname:   s.Hostname,
		Image:      s.Image,
		Kind:       string(s.Kind),
		Mounts:     hashMounts(s, img.Env),
		Ports:      hashPorts(s.Ports),
		StopSignal: proc.StopSignal,
		User:       proc.User,
		Version:    configHashVersion,
		WorkingDir: proc.Cwd,
	}
	if s.IP.IsValid() {
		in.IP = s.IP.String()
	}
	data, err := json.Marshal(in)
	if err != nil {
		return "", fmt.Errorf("config hash of %q: %w", s.Resource, err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// hashMounts lists volumes (target resolved against the image Env) and the read-only
// project files, sorted by target.
func hashMounts(s *ContainerSpec, imageEnv []string) []hashMount {
	mounts := make([]hashMount, 0, len(s.Volumes)+3)
	for _, v := range s.Volumes {
		mounts = append(mounts, hashMount{ReadOnly: v.ReadOnly, Source: v.Source, Target: v.ResolvedTarget(imageEnv)})
	}
	for _, f := range []struct{ src, dst string }{
		{s.HostsPath, "/etc/hosts"}, {s.ResolvConfPath, "/etc/resolv.conf"}, {s.HostnamePath, "/etc/hostname"},
	} {
		if f.src != "" {
			mounts = append(mounts, hashMount{ReadOnly: true, Source: f.src, Target: f.dst})
		}
	}
	for _, f := range s.Files {
		sum := sha256.Sum256([]byte(f.Content))
		mounts = append(mounts, hashMount{Digest: hex.EncodeToString(sum[:]), ReadOnly: true, Source: f.Source, Target: f.Target})
	}
	sort.Slice(mounts, func(i, j int) bool { return mounts[i].Target < mounts[j].Target })
	return mounts
}

// hashPorts lists the requested (never the rewritten) bindings, sorted.
func hashPorts(ports []PortBinding) []hashPort {
	out := make([]hashPort, 0, len(ports))
	for _, p := range ports {
		host := p.RequestedHostPort
		if host == 0 {
			host = p.HostPort
		}
		out = append(out, hashPort{ContainerPort: p.ContainerPort, HostIP: p.HostIP, HostPort: host})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.HostIP != b.HostIP {
			return a.HostIP < b.HostIP
		}
		if a.HostPort != b.HostPort {
			return a.HostPort < b.HostPort
		}
		return a.ContainerPort < b.ContainerPort
	})
	return out
}

// ResolvedTarget is the mount target once the image is known: the value of the image
// Env variable TargetFromImageEnv when the image sets it, else Target.
func (v VolumeBinding) ResolvedTarget(imageEnv []string) string {
	if v.TargetFromImageEnv == "" {
		return v.Target
	}
	prefix := v.TargetFromImageEnv + "="
	for i := len(imageEnv) - 1; i >= 0; i-- {
		if val, ok := strings.CutPrefix(imageEnv[i], prefix); ok && val != "" {
			return val
		}
	}
	return v.Target
}
