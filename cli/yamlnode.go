package cli

import (
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// yaml.v3 Node builders: `lsctl manifest` builds its document as nodes so it controls
// key order and quoting (e.g. restart: "no" must stay a string for every reader).

func mapNode() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }

// put appends key: value to a mapping node.
func put(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, strNode(key), v)
}

func strNode(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// quotedNode is a string written in double quotes whatever its content.
func quotedNode(s string) *yaml.Node {
	n := strNode(s)
	n.Style = yaml.DoubleQuotedStyle
	return n
}

func intNode(i int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(i, 10)}
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

// flowSeq is a one-line sequence of strings: [a, b].
func flowSeq(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, s := range items {
		n.Content = append(n.Content, strNode(s))
	}
	return n
}

// blockSeq is a sequence of string nodes, one per line ([] when empty).
func blockSeq(items []*yaml.Node) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	if len(items) == 0 {
		n.Style = yaml.FlowStyle
	}
	n.Content = items
	return n
}

// emptyFlowMap renders as {} when it stays empty.
func emptyFlowMap(m *yaml.Node) *yaml.Node {
	if len(m.Content) == 0 {
		m.Style = yaml.FlowStyle
	}
	return m
}

// formatDuration writes d in the manifest grammar (docs/spec/manifest.md §17) with the largest
// unit that represents it exactly, so the output parses back to the same value.
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	units := []struct {
		size time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}, {time.Microsecond, "us"}}
	for _, u := range units {
		if d%u.size == 0 {
			return strconv.FormatInt(int64(d/u.size), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(d), 10) + "ns"
}
