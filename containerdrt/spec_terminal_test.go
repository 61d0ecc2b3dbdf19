package containerdrt

import (
	"testing"

	"github.com/lightshuttle/lsctl/plan"
)

// Issue 13 (lsctl run -t): a one-off on a terminal gets a pseudo-terminal of the
// caller's size; every other container none.
func TestSpecTerminal(t *testing.T) {
	s := generateSpec(t, specInput{Proc: plan.Process{Args: []string{"sh"}, Cwd: "/"}, Terminal: true, ConsoleWidth: 120, ConsoleHeight: 40})
	if !s.Process.Terminal || s.Process.ConsoleSize == nil || s.Process.ConsoleSize.Width != 120 || s.Process.ConsoleSize.Height != 40 {
		t.Errorf("terminal spec: terminal %v, size %+v", s.Process.Terminal, s.Process.ConsoleSize)
	}
	if s := generateSpec(t, specInput{Proc: plan.Process{Args: []string{"sh"}, Cwd: "/"}}); s.Process.Terminal || s.Process.ConsoleSize != nil {
		t.Errorf("a plain container got a terminal")
	}
}
