package containerdrt

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	tasks "github.com/containerd/containerd/api/services/tasks/v1"
	apitask "github.com/containerd/containerd/api/types/task"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"

	"github.com/lightshuttle/lsctl/plan"
)

// maxLabelSize is containerd's limit on one label, key plus value (docs/spec/runtime.md §4.2).
const maxLabelSize = 4096

// labelFileMarker replaces a label value too long for containerd.
const labelFileMarker = "@file"

// List returns the containers labelled with project, with their task state.
func (c *Client) List(ctx context.Context, project string) ([]Managed, error) {
	filter := fmt.Sprintf("labels.%q==%s", plan.LabelProject, strconv.Quote(project))
	conts, err := c.cd.Containers(ctx, filter)
	if err != nil {
		return nil, c.wrapUnavailable(fmt.Errorf("list containers of project %q: %w", project, err))
	}
	if len(conts) == 0 {
		return []Managed{}, nil
	}
	states, err := c.taskStates(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Managed, 0, len(conts))
	for _, cont := range conts {
		m, err := c.managed(ctx, cont, states[cont.ID()])
		if errdefs.IsNotFound(err) {
			continue // removed while listing
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// taskStates lists every task of the namespace in one request: down and ps list a
// project's containers on their critical path, and one lookup per container adds up.
func (c *Client) taskStates(ctx context.Context) (map[string]*apitask.Process, error) {
	resp, err := c.cd.TaskService().List(ctx, &tasks.ListTasksRequest{})
	if err != nil {
		return nil, c.wrapUnavailable(fmt.Errorf("list tasks: %w", errgrpc.ToNative(err)))
	}
	states := make(map[string]*apitask.Process, len(resp.Tasks))
	for _, t := range resp.Tasks {
		states[t.ID] = t
	}
	return states, nil
}

// managed describes cont from its labels and its task's state (nil: no task).
func (c *Client) managed(ctx context.Context, cont containerd.Container, task *apitask.Process) (Managed, error) {
	info, err := cont.Info(ctx, containerd.WithoutRefreshedMetadata)
	if err != nil {
		return Managed{}, err
	}
	l := info.Labels
	m := Managed{
		ID: info.ID, Project: l[plan.LabelProject], Resource: l[plan.LabelResource],
		Kind: l[plan.LabelKind], Image: info.Image, ConfigHash: l[plan.LabelConfigHash],
		IP: l[plan.LabelIP], Labels: l,
	}
	if m.Ports, err = c.labelPorts(l); err != nil {
		return Managed{}, err
	}
	deps, err := c.labelValue(l, plan.LabelDependsOn)
	if err != nil {
		return Managed{}, err
	}
	if deps != "" {
		m.DependsOn = strings.Split(deps, ",")
	}
	m.Restarts, _ = strconv.Atoi(l[plan.LabelRestarts])
	if t, err := time.Parse(time.RFC3339Nano, l[plan.LabelStartedAt]); err == nil {
		m.StartedAt = t
	}
	if task != nil {
		m.Running = task.Status == apitask.Status_RUNNING
		m.PID = task.Pid
	}
	return m, nil
}

// containerLabels are the labels of docs/spec/runtime.md §4.2 for a new container; over-long
// values go to the project's labels file.
func (c *Client) containerLabels(s *plan.ContainerSpec, hash string, ports []plan.PortBinding, stopSignal string) (map[string]string, error) {
	l := maps.Clone(s.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[plan.LabelProject] = s.Project
	l[plan.LabelResource] = s.Resource
	l[plan.LabelKind] = string(s.Kind)
	l[plan.LabelConfigHash] = hash
	l[plan.LabelIP] = ipOf(s)
	if _, ok := l[plan.LabelRestarts]; !ok {
		l[plan.LabelRestarts] = "0"
	}
	if ports == nil {
		ports = []plan.PortBinding{}
	}
	pj, err := json.Marshal(ports)
	if err != nil {
		return nil, fmt.Errorf("encode ports label: %w", err)
	}
	l[plan.LabelPorts] = string(pj)
	l[containerd.StopSignalLabel] = stopSignal
	return l, c.spillLongLabels(s, l)
}

// labelsFile is where over-long label values of a resource are kept.
func (c *Client) labelsFile(project, resource string) string {
	return filepath.Join(c.opts.DataRoot, "projects", project, "labels", resource+".json")
}

// spillLongLabels moves the ports and depends-on values that exceed containerd's label
// size into the labels file and leaves @file in the label.
func (c *Client) spillLongLabels(s *plan.ContainerSpec, l map[string]string) error {
	spilled := map[string]string{}
	for _, k := range []string{plan.LabelPorts, plan.LabelDependsOn} {
		if len(k)+len(l[k]) > maxLabelSize {
			spilled[k] = l[k]
			l[k] = labelFileMarker
		}
	}
	if len(spilled) == 0 {
		return nil
	}
	path := c.labelsFile(s.Project, s.Resource)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write labels file: %w", err)
	}
	b, _ := json.Marshal(spilled)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write labels file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write labels file: %w", err)
	}
	return nil
}

// labelValue returns label key, reading the labels file when it holds @file.
func (c *Client) labelValue(l map[string]string, key string) (string, error) {
	v := l[key]
	if v != labelFileMarker {
		return v, nil
	}
	path := c.labelsFile(l[plan.LabelProject], l[plan.LabelResource])
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("label %s of %s/%s is in %s: %w", key, l[plan.LabelProject], l[plan.LabelResource], path, err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return "", fmt.Errorf("labels file %s: %w", path, err)
	}
	return m[key], nil
}

// labelPorts decodes the ports label.
func (c *Client) labelPorts(l map[string]string) ([]plan.PortBinding, error) {
	v, err := c.labelValue(l, plan.LabelPorts)
	if err != nil || v == "" {
		return nil, err
	}
	var ports []plan.PortBinding
	if err := json.Unmarshal([]byte(v), &ports); err != nil {
		return nil, fmt.Errorf("label %s of %s: %w", plan.LabelPorts, l[plan.LabelResource], err)
	}
	return ports, nil
}
