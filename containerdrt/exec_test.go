package containerdrt

import (
	"strings"
	"testing"
)

func TestOverrideEnv(t *testing.T) {
	got := overrideEnv([]string{"PATH=/bin", "A=1"}, []string{"A=2", "REDISCLI_AUTH=x"})
	want := []string{"PATH=/bin", "A=2", "REDISCLI_AUTH=x"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("overrideEnv = %q, want %q", got, want)
	}
}
