package integration

import (
	"fmt"
	"os"
	"strings"
)

// benchCommand is the PID 1 of every benchmark container (docs/spec/runtime.md §19): it catches
// SIGTERM, so a stop is a real graceful stop, and marks itself ready with a file.
var benchCommand = []string{"sh", "-c", "trap 'exit 0' TERM; touch /tmp/ready; sleep 3600 & wait"}

// benchProbe is the healthcheck argv of every benchmark container, run by exec (lsctl)
// or by the bare client (floor). docs/spec/runtime.md §19 uses `test -f /tmp/ready`; issue 5
// words it as a `CMD true` healthcheck; LSCTL_BENCH_PROBE="true" selects that one.
func benchProbe() []string {
	if p := strings.Fields(os.Getenv("LSCTL_BENCH_PROBE")); len(p) > 0 {
		return p
	}
	return []string{"test", "-f", "/tmp/ready"}
}

// benchStack is one benchmark topology: resources in declaration order and, for each,
// the resources it depends on.
type benchStack struct {
	name  string
	order []string
	deps  map[string][]string
	// probeTimeout is the healthcheck timeout: 1s as docs/spec/runtime.md §19 says for the timed
	// stacks; many50 measures memory, not time, and must not fail when a loaded host
	// makes a probe slower than that.
	probeTimeout string
}

// size is the number of containers of the stack.
func (s benchStack) size() int { return len(s.order) }

// dependents inverts deps: for each resource, the resources that depend on it.
func (s benchStack) dependents() map[string][]string {
	out := map[string][]string{}
	for _, r := range s.order {
		for _, d := range s.deps[r] {
			out[d] = append(out[d], r)
		}
	}
	return out
}

// flatStack is n independent resources (flat10; many50 for the RSS measurement).
func flatStack(name string, n int) benchStack {
	s := benchStack{name: name, deps: map[string][]string{}, probeTimeout: "1s"}
	for i := 1; i <= n; i++ {
		s.order = append(s.order, fmt.Sprintf("c%d", i))
	}
	return s
}

// chainStack is n resources, each depending on the previous one (chain5).
func chainStack(name string, n int) benchStack {
	s := flatStack(name, n)
	for i := 1; i < n; i++ {
		s.deps[s.order[i]] = []string{s.order[i-1]}
	}
	return s
}

// diamondStack is diamond10: one root, 4 depending on it, 5 depending on all 4.
func diamondStack(name string) benchStack {
	s := benchStack{name: name, deps: map[string][]string{}, probeTimeout: "1s"}
	s.order = append(s.order, "root")
	var mids []string
	for i := 1; i <= 4; i++ {
		m := fmt.Sprintf("mid%d", i)
		mids = append(mids, m)
		s.order = append(s.order, m)
		s.deps[m] = []string{"root"}
	}
	for i := 1; i <= 5; i++ {
		l := fmt.Sprintf("leaf%d", i)
		s.order = append(s.order, l)
		s.deps[l] = mids
	}
	return s
}

// rssStack is the 50-resource stack of the peak RSS measurement.
func rssStack() benchStack {
	s := flatStack("many50", 50)
	s.probeTimeout = "10s"
	return s
}

// benchStacks are the timed stacks of docs/spec/runtime.md §19 and issue 5, after one1: a
// single resource, whose time above the floor is lsctl's fixed cost (issue 16 item 2).
func benchStacks() []benchStack {
	return []benchStack{flatStack("one1", 1), flatStack("flat10", 10), chainStack("chain5", 5), diamondStack("diamond10")}
}

// manifest renders the stack as a lightshuttle.yml for project with image ref. The
// healthcheck follows docs/spec/runtime.md §19: interval 1s, timeout 1s, retries 30, start_period 0s.
func (s benchStack) manifest(project, ref string, probe []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "project:\n  name: %s\nresources:\n", project)
	for _, r := range s.order {
		fmt.Fprintf(&b, "  %s:\n    container:\n      image: %s\n", r, ref)
		fmt.Fprintf(&b, "      command: %s\n", yamlList(benchCommand))
		fmt.Fprintf(&b, "      healthcheck:\n        test: %s\n", yamlList(append([]string{"CMD"}, probe...)))
		fmt.Fprintf(&b, "        interval: 1s\n        timeout: %s\n        retries: 30\n        start_period: 0s\n", s.probeTimeout)
		if d := s.deps[r]; len(d) > 0 {
			fmt.Fprintf(&b, "      depends_on: %s\n", yamlList(d))
		}
	}
	return b.String()
}

// yamlList renders strings as a YAML flow sequence of double-quoted scalars.
func yamlList(items []string) string {
	quoted := make([]string, len(items))
	for i, it := range items {
		quoted[i] = fmt.Sprintf("%q", it)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
