package export

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// omap is a YAML mapping that keeps its insertion order (Go maps are emitted sorted).
type omap []kv

// kv is one entry of an omap.
type kv struct {
	Key   string
	Value any
}

// MarshalYAML emits the entries in order.
func (m omap) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, e := range m {
		var v yaml.Node
		if err := v.Encode(e.Value); err != nil {
			return nil, fmt.Errorf("encode %s: %w", e.Key, err)
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: e.Key}, &v)
	}
	return n, nil
}

// toYAML marshals v with two-space indentation after a header comment.
func toYAML(header string, v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(header)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode YAML: %w", err)
	}
	return b.Bytes(), nil
}
