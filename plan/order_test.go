package plan

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// docs/spec/manifest.md §29 items 78-79 and §22.3.
func TestDependencyCycles(t *testing.T) {
	tests := []struct {
		name, resources string
		want            []string // messages, in output order
		line            int      // location of the first: the resource key of s
	}{
		{name: "item78 two", resources: `
b: {container: {image: "x:1", depends_on: [a]}}
a: {container: {image: "x:1", depends_on: [b]}}
`, want: []string{"resources.a: dependency cycle: a -> b -> a"}, line: 6},
		{name: "item79 three", resources: `
c: {container: {image: "x:1", depends_on: [a]}}
a: {container: {image: "x:1", depends_on: [b]}}
b: {container: {image: "x:1", depends_on: [c]}}
`, want: []string{"resources.a: dependency cycle: a -> b -> c -> a"}, line: 6},
		{name: "item79 interpolation only", resources: `
a: {container: {image: "x:1", env: {B: "${resources.b.host}"}}}
b: {container: {image: "x:1", env: {A: "${resources.a.host}"}}}
`, want: []string{"resources.a: dependency cycle: a -> b -> a"}, line: 5},
		{name: "also involved", resources: `
a: {container: {image: "x:1", depends_on: [b, c]}}
b: {container: {image: "x:1", depends_on: [a]}}
c: {container: {image: "x:1", depends_on: [d]}}
d: {container: {image: "x:1", depends_on: [a]}}
`, want: []string{"resources.a: dependency cycle: a -> b -> a (also involved: c, d)"}, line: 5},
		{name: "two components, by smallest member", resources: `
z: {container: {image: "x:1", depends_on: [y]}}
y: {container: {image: "x:1", depends_on: [z]}}
m: {container: {image: "x:1", depends_on: [n]}}
n: {container: {image: "x:1", depends_on: [m]}}
ok: {container: {image: "x:1", depends_on: [m]}}
`, // reported per component by smallest member, then sorted by location (§26.1)
			want: []string{"resources.y: dependency cycle: y -> z -> y", "resources.m: dependency cycle: m -> n -> m"}, line: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := buildDiags(t, manifestOf("shop", tt.resources), Options{})
			if p != nil {
				t.Error("plan built despite a cycle")
			}
			var got []string
			for _, d := range diags {
				if d.Code != "dependency-cycle" || d.Severity != "error" || d.File != "lightshuttle.yml" {
					t.Errorf("unexpected diagnostic %+v", d)
				}
				got = append(got, d.Message)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("cycles = %q, want %q", got, tt.want)
			}
			if len(diags) > 0 && (diags[0].Pos.Line != tt.line || diags[0].Pos.Column != 3) {
				t.Errorf("location = %+v, want line %d column 3", diags[0].Pos, tt.line)
			}
		})
	}
}

// docs/spec/manifest.md §22.3 step 2: one report per component, by smallest member, before the
// location sort of the diagnostics.
func TestFindCyclesOrder(t *testing.T) {
	names := []string{"z", "y", "m", "n", "solo"}
	deps := map[string][]string{"z": {"y"}, "y": {"z"}, "m": {"n"}, "n": {"m"}, "solo": {"m"}}
	got := findCycles(names, deps)
	want := []cycleReport{{"m", "dependency cycle: m -> n -> m"}, {"y", "dependency cycle: y -> z -> y"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findCycles = %+v, want %+v", got, want)
	}
	// The DFS tries dependencies alphabetically: from a, b comes before c.
	deps = map[string][]string{"a": {"c", "b"}, "b": {"c"}, "c": {"a"}}
	if got := findCycles([]string{"a", "b", "c"}, deps); len(got) != 1 || got[0].message != "dependency cycle: a -> b -> c -> a" {
		t.Errorf("findCycles = %+v", got)
	}
}

// Kahn's order with declaration-order tie-break.
func TestOrderTieBreak(t *testing.T) {
	yaml := manifestOf("shop", `
web: {container: {image: "x:1", depends_on: [api]}}
api: {container: {image: "x:1", depends_on: [db]}}
db: {postgres: {}}
cache: {redis: {}}
worker: {container: {image: "x:1", depends_on: [cache]}}
`)
	p := build(t, yaml, Options{})
	if want := []string{"db", "api", "web", "cache", "worker"}; !reflect.DeepEqual(p.Order, want) {
		t.Errorf("order = %q, want %q", p.Order, want)
	}
	if want := []string{"web", "api", "db", "cache", "worker"}; !reflect.DeepEqual(names(p.Nodes), want) {
		t.Errorf("nodes = %q, want declaration order %q", names(p.Nodes), want)
	}
	for i, n := range p.Nodes {
		if n.Index != i {
			t.Errorf("%s index %d, want %d", n.Name, n.Index, i)
		}
	}
	if got := names(p.SortedTopo()); !reflect.DeepEqual(got, p.Order) {
		t.Errorf("SortedTopo = %q", got)
	}
}

func names(ns []*Node) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Name)
	}
	return out
}

// Property: for random DAG manifests (explicit and implicit edges), Order places every
// resource after all of its dependencies and contains each resource once.
func TestOrderRespectsDependenciesRandomDAG(t *testing.T) {
	for seed := int64(1); seed <= 60; seed++ {
		rng := rand.New(rand.NewSource(seed))
		yaml, edges := randomDAG(rng, 2+rng.Intn(40))
		p := build(t, yaml, Options{})
		pos := map[string]int{}
		for i, n := range p.Order {
			if _, dup := pos[n]; dup {
				t.Fatalf("seed %d: %s twice in order", seed, n)
			}
			pos[n] = i
		}
		if len(pos) != len(p.Nodes) {
			t.Fatalf("seed %d: order has %d of %d resources", seed, len(pos), len(p.Nodes))
		}
		for from, tos := range edges {
			for _, to := range tos {
				if pos[to] >= pos[from] {
					t.Fatalf("seed %d: %s (at %d) placed before its dependency %s (at %d)", seed, from, pos[from], to, pos[to])
				}
			}
			if got := node(t, p, from).DependsOn; len(got) != len(dedup(tos)) {
				t.Fatalf("seed %d: %s depends on %q, want the set %q", seed, from, got, tos)
			}
		}
	}
}

// randomDAG declares n resources in a shuffled order; each depends on random
// lower-numbered ones, half through depends_on and half through references.
func randomDAG(rng *rand.Rand, n int) (string, map[string][]string) {
	edges := map[string][]string{}
	var b strings.Builder
	for _, i := range rng.Perm(n) {
		name := fmt.Sprintf("r%d", i)
		var explicit, refs []string
		for j := 0; j < i; j++ {
			if rng.Intn(4) != 0 {
				continue
			}
			dep := fmt.Sprintf("r%d", j)
			edges[name] = append(edges[name], dep)
			if rng.Intn(2) == 0 {
				explicit = append(explicit, dep)
			} else {
				refs = append(refs, "${resources."+dep+".host}")
			}
		}
		fmt.Fprintf(&b, "%s:\n  container:\n    image: \"x:1\"\n    depends_on: [%s]\n", name, strings.Join(explicit, ", "))
		if len(refs) > 0 {
			fmt.Fprintf(&b, "    command: [%q]\n", strings.Join(refs, " "))
		}
	}
	return manifestOf("prop", b.String()), edges
}

func dedup(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
