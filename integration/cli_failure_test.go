package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// docs/spec/runtime.md §17 items 36, 39, 40, §12.3: a healthcheck that never passes fails the
// startup at --wait-timeout; up exits 1 naming the resource, the reason and its last
// log lines; its dependent is never started; nothing is left. Detached and foreground
// up share the rollback, and both are checked.
func TestCLIFailingHealthcheck(t *testing.T) {
	tests := []struct {
		name, project string
		args          []string
	}{
		{"detached", "clihcd", []string{"-d"}},
		{"foreground", "clihcf", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := harness.Require(t)
			bb := harness.ImageRef("busybox")
			dir := cliWriteManifest(t, fmt.Sprintf(`project: {name: %s}
resources:
  sick:
    container:
      image: %s
      command: "echo first known line; echo second known line; exec sleep 3600"
      healthcheck:
        test: ["CMD", "false"]
        interval: 200ms
        retries: 2
  after:
    container:
      image: %s
      command: "exec sleep 3600"
      depends_on: [sick]
`, tt.project, bb, bb))
			cliLoadImages(t, env, dir, "busybox")
			args := append([]string{"--pull", "never", "--wait-timeout", "3s", "--grace", "2s"}, tt.args...)
			up := startFgUp(t, env, dir, false, args...)
			code := up.exitCode(2 * time.Minute)
			out := up.output()
			if code != 1 {
				t.Errorf("up exit %d, want 1; output:\n%s", code, out)
			}
			for _, want := range []string{
				`error: startup failed: resource "sick": `,
				"last 20 log lines of sick:\n  first known line\n  second known line\n",
				"after: not started (dependency sick failed)",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			// The reason follows the resource on the error line.
			_, rest, _ := strings.Cut(out, `startup failed: resource "sick": `)
			if reason, _, _ := strings.Cut(rest, "\n"); strings.TrimSpace(reason) == "" {
				t.Errorf("failure names no reason:\n%s", out)
			}
			assertProjectGone(t, env, tt.project)
		})
	}
}
