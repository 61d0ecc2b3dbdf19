package plan

import (
	"slices"
	"testing"
)

// A variable set again replaces the first entry of its name in place (getenv reads the
// first one), new names are appended in order, and duplicates in base collapse.
func TestOverrideEnv(t *testing.T) {
	for _, tt := range []struct {
		base, extra, want []string
	}{
		{[]string{"PATH=/bin", "A=1"}, []string{"A=2", "REDISCLI_AUTH=x"}, []string{"PATH=/bin", "A=2", "REDISCLI_AUTH=x"}},
		{[]string{"A=1", "B=2", "A=3"}, nil, []string{"A=3", "B=2"}},
		{nil, []string{"A=1", "A=2", "C"}, []string{"A=2", "C"}},
		{[]string{"HOME=/root"}, []string{"HOME=/home/app", "HOME=/x"}, []string{"HOME=/x"}},
	} {
		if got := OverrideEnv(tt.base, tt.extra); !slices.Equal(got, tt.want) {
			t.Errorf("OverrideEnv(%q, %q) = %q, want %q", tt.base, tt.extra, got, tt.want)
		}
	}
}

// The process env layers the image's, a default PATH, HOSTNAME, then the manifest's.
func TestMergeEnvLayers(t *testing.T) {
	s := &ContainerSpec{Resource: "api", Env: []EnvVar{{Name: "A", Value: "m"}, {Name: "HOSTNAME", Value: "h"}}}
	got := mergeEnv(s, []string{"A=i", "B=i"})
	want := []string{"A=m", "B=i", defaultPath, "HOSTNAME=h"}
	if !slices.Equal(got, want) {
		t.Errorf("mergeEnv = %q, want %q", got, want)
	}
	got = mergeEnv(&ContainerSpec{Resource: "api"}, []string{"PATH=/x"})
	if want := []string{"PATH=/x", "HOSTNAME=api"}; !slices.Equal(got, want) {
		t.Errorf("mergeEnv = %q, want %q", got, want)
	}
}
