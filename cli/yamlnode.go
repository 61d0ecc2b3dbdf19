package cli

import (
	"strconv"

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
