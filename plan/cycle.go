package plan

import (
	"sort"
	"strings"
)

// cycleReport is one dependency-cycle error of docs/spec/manifest.md §22.3.
type cycleReport struct {
	start   string // alphabetically smallest member; the diagnostic's location
	message string // "dependency cycle: s -> ... -> s[ (also involved: ...)]"
}

// findCycles reports one cycle per strongly connected component of two or more
// resources, in order of each component's smallest member (docs/spec/manifest.md §22.3).
func findCycles(names []string, deps map[string][]string) []cycleReport {
	var reports []cycleReport
	for _, comp := range stronglyConnected(names, deps) {
		if len(comp) < 2 {
			continue
		}
		sort.Strings(comp)
		reports = append(reports, describeCycle(comp, deps))
	}
	sort.Slice(reports, func(i, j int) bool { return reports[i].start < reports[j].start })
	return reports
}

// describeCycle walks a depth-first search from the smallest member, restricted to the
// component and trying dependencies alphabetically, until an edge returns to it.
func describeCycle(comp []string, deps map[string][]string) cycleReport {
	in := make(map[string]bool, len(comp))
	for _, n := range comp {
		in[n] = true
	}
	s := comp[0]
	visited := map[string]bool{}
	var path []string
	var walk func(n string) bool
	walk = func(n string) bool {
		visited[n] = true
		path = append(path, n)
		next := append([]string(nil), deps[n]...)
		sort.Strings(next)
		for _, d := range next {
			if d == s {
				return true
			}
			if in[d] && !visited[d] && walk(d) {
				return true
			}
		}
		path = path[:len(path)-1]
		return false
	}
	walk(s) // a component of two or more members always has a cycle through s
	onPath := make(map[string]bool, len(path))
	for _, n := range path {
		onPath[n] = true
	}
	msg := "dependency cycle: " + strings.Join(append(path, s), " -> ")
	var others []string
	for _, n := range comp {
		if !onPath[n] {
			others = append(others, n)
		}
	}
	if len(others) > 0 {
		msg += " (also involved: " + strings.Join(others, ", ") + ")"
	}
	return cycleReport{start: s, message: msg}
}

// stronglyConnected is Tarjan's algorithm over the dependency graph (edge a -> b: a
// depends on b). Recursion depth is bounded by the resource count (at most 253).
func stronglyConnected(names []string, deps map[string][]string) [][]string {
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var comps [][]string
	next := 0
	var visit func(n string)
	visit = func(n string) {
		index[n], low[n] = next, next
		next++
		stack = append(stack, n)
		onStack[n] = true
		for _, d := range deps[n] {
			if _, seen := index[d]; !seen {
				visit(d)
				low[n] = min(low[n], low[d])
			} else if onStack[d] {
				low[n] = min(low[n], index[d])
			}
		}
		if low[n] != index[n] {
			return
		}
		var comp []string
		for {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[top] = false
			comp = append(comp, top)
			if top == n {
				break
			}
		}
		comps = append(comps, comp)
	}
	for _, n := range names {
		if _, seen := index[n]; !seen {
			visit(n)
		}
	}
	return comps
}
