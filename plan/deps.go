package plan

import (
	"sort"
)

// mergeDeps returns the merged dependency list of docs/spec/manifest.md §22.1: explicit
// depends_on in written order, then implicit references in first-occurrence order,
// without duplicates. Names that are not resources of the plan, and the resource
// itself, are dropped: validation reports them, the plan must not trip over them.
func mergeDeps(rs *resource, known map[string]*resource) []string {
	var out []string
	seen := map[string]bool{rs.r.Name: true}
	add := func(name string) {
		if seen[name] || known[name] == nil {
			return
		}
		seen[name] = true
		out = append(out, name)
	}
	for _, d := range rs.r.DependsOn {
		add(d.Value)
	}
	for _, name := range rs.refs() {
		add(name)
	}
	return out
}

// topoOrder is Kahn's algorithm with declaration order breaking ties: at each step the
// earliest-declared resource whose dependencies are all placed comes next. ok is false
// when a cycle leaves some resources unplaced.
func topoOrder(names []string, deps map[string][]string) (order []string, ok bool) {
	index := make(map[string]int, len(names))
	for i, n := range names {
		index[n] = i
	}
	pending := make([]int, len(names))
	dependents := make([][]int, len(names))
	for i, n := range names {
		for _, d := range deps[n] {
			j, known := index[d]
			if !known {
				continue
			}
			pending[i]++
			dependents[j] = append(dependents[j], i)
		}
	}
	var ready []int // kept sorted by declaration index
	for i := range names {
		if pending[i] == 0 {
			ready = append(ready, i)
		}
	}
	order = make([]string, 0, len(names))
	for len(ready) > 0 {
		i := ready[0]
		ready = ready[1:]
		order = append(order, names[i])
		for _, j := range dependents[i] {
			pending[j]--
			if pending[j] == 0 {
				k := sort.SearchInts(ready, j)
				ready = append(ready, 0)
				copy(ready[k+1:], ready[k:])
				ready[k] = j
			}
		}
	}
	return order, len(order) == len(names)
}

// Dependents returns the resources that depend directly on name, in declaration order.
func (p *Plan) Dependents(name string) []string {
	var out []string
	for _, n := range p.Nodes {
		for _, d := range n.DependsOn {
			if d == name {
				out = append(out, n.Name)
				break
			}
		}
	}
	return out
}

// Node returns the node of a resource, or nil.
func (p *Plan) Node(name string) *Node {
	if p.byName != nil {
		return p.byName[name]
	}
	for _, n := range p.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// SortedTopo returns the nodes in topological order (Plan.Order).
func (p *Plan) SortedTopo() []*Node {
	out := make([]*Node, 0, len(p.Order))
	for _, name := range p.Order {
		if n := p.Node(name); n != nil {
			out = append(out, n)
		}
	}
	return out
}

// StopLevels is the number of resources on the longest dependency chain. Shutdown stops
// a resource only after all its dependents (docs/spec/runtime.md §12.7), so the levels stop one
// after another: a stop can take this many grace periods.
func (p *Plan) StopLevels() int {
	level := make(map[string]int, len(p.Order))
	longest := 0
	for _, n := range p.SortedTopo() {
		l := 1
		for _, d := range n.DependsOn {
			l = max(l, level[d]+1)
		}
		level[n.Name] = l
		longest = max(longest, l)
	}
	return longest
}
