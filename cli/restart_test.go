package cli

import (
	"io"
	"os"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control/controltest"
	"github.com/lightshuttle/lsctl/plan"
)

// serveFake runs a control API for project shop on root's socket.
func serveFake(t *testing.T, root string, fp *controltest.Plane) {
	t.Helper()
	if err := os.MkdirAll(plan.ProjectDir(root, "shop"), 0o700); err != nil {
		t.Fatal(err)
	}
	s := &session{stdout: io.Discard, stderr: io.Discard, opts: globalOptions{DataRoot: root}}
	cs, err := s.startControl(&plan.Plan{Project: "shop"}, fp, -1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cs.Close)
}

// docs/spec/runtime.md §16.7 with a running up (§17 item 46 from the CLI's side): the events of
// the restart are printed and the command exits 0 on resource_healthy, 1 on failure.
func TestRestartViaAPI(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  db:\n    postgres: {}\n  api:\n    container: {image: 'a:1'}\n", nil)
	tests := []struct {
		name     string
		args     []string
		events   []actors.Event
		rejected error
		code     int
		stdout   string
		stderr   string
	}{
		{"healthy", []string{"restart", "db"},
			[]actors.Event{{Type: actors.ResourceStopping, Resource: "db"}, {Type: actors.ResourceHealthy, Resource: "api"},
				{Type: actors.ResourceStopped, Resource: "db"}, {Type: actors.ResourceStarted, Resource: "db"}, {Type: actors.ResourceHealthy, Resource: "db"}},
			nil, 0, "db: restart accepted\ndb: stopped\ndb: started\ndb: healthy\n", ""},
		{"running without healthcheck", []string{"restart", "api"},
			[]actors.Event{{Type: actors.ResourceStopped, Resource: "api"}, {Type: actors.ResourceStarted, Resource: "api"}, {Type: actors.ResourceHealthy, Resource: "api"}},
			nil, 0, "api: restart accepted\napi: stopped\napi: started\napi: running\n", ""},
		{"failed", []string{"restart", "db"},
			[]actors.Event{{Type: actors.ResourceStopped, Resource: "db"}, {Type: actors.ResourceFailed, Resource: "db", Error: "exited with code 3 before becoming ready"}},
			nil, 1, "db: restart accepted\ndb: stopped\n", "error: restart of \"db\" failed: exited with code 3 before becoming ready\n"},
		{"detach", []string{"restart", "--detach", "db"}, nil, nil, 0, "db: restart accepted\n", ""},
		{"unknown", []string{"restart", "nope"}, nil, nil, 1, "", "error: unknown resource \"nope\" in project \"shop\"\n"},
		{"in progress", []string{"restart", "db"}, nil, actors.ErrRestartInProgress, 1, "", "error: a restart of \"db\" is already in progress\n"},
		{"stack starting", []string{"restart", "db"}, nil, actors.ErrStackStarting, 1, "", "error: cannot restart \"db\": stack is starting\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			fp := controltest.NewPlane("shop", controltest.ShopViews()...)
			if tt.rejected != nil {
				fp.RestartErr["db"] = tt.rejected
			}
			fp.OnRestart = func(string) {
				for _, e := range tt.events {
					e.TS = time.Now()
					fp.Publish(e)
				}
			}
			serveFake(t, root, fp)
			r := run(t, nil, append([]string{"--data-root", root, "-f", path}, tt.args...)...)
			if r.code != tt.code || r.stdout != tt.stdout || r.stderr != tt.stderr {
				t.Errorf("code %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// docs/spec/runtime.md §12.6 direct mode: without a network the project is not running.
func TestRestartDirectNotRunning(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  db:\n    postgres: {}\n", nil)
	r := run(t, nil, "--data-root", t.TempDir(), "-f", path, "restart", "db")
	if r.code != 1 || r.stderr != "error: project \"shop\" is not running; start it with lsctl up\n" {
		t.Errorf("code %d stderr %q", r.code, r.stderr)
	}
}
