package plan

import "testing"

// StopLevels counts resources on the longest chain, whichever branch it is on.
func TestStopLevels(t *testing.T) {
	tests := []struct {
		name, resources string
		want            int
	}{
		{"one", `a: {container: {image: "x:1"}}`, 1},
		{"independent", `
a: {container: {image: "x:1"}}
b: {container: {image: "x:1"}}
`, 1},
		{"chain and a shortcut", `
c: {container: {image: "x:1", depends_on: [b, a]}}
b: {container: {image: "x:1", depends_on: [a]}}
a: {container: {image: "x:1"}}
d: {container: {image: "x:1", depends_on: [a]}}
`, 3},
		{"by interpolation", `
a: {container: {image: "x:1"}}
b: {container: {image: "x:1", env: {A: "${resources.a.host}"}}}
`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := build(t, manifestOf("shop", tt.resources), Options{})
			if got := p.StopLevels(); got != tt.want {
				t.Errorf("StopLevels() = %d, want %d", got, tt.want)
			}
		})
	}
}
