package cli

import (
	"testing"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control/controltest"
	"github.com/lightshuttle/lsctl/plan"
)

// Issue 13: port prints the host address of a published port from the running up's
// view, or every published port; anything else says what is published.
func TestPort(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  db:\n    postgres: {}\n  api:\n    container: {image: 'a:1'}\n  job:\n    container: {image: 'a:1'}\n", nil)
	root := t.TempDir()
	id := "shop_db"
	serveFake(t, root, controltest.NewPlane("shop",
		actors.View{Name: "db", Status: actors.StatusHealthy, ContainerID: &id, Ports: []plan.PortBinding{
			{HostIP: "127.0.0.1", HostPort: 15432, ContainerPort: 5432},
			{HostIP: "::1", HostPort: 18080, ContainerPort: 8080}}},
		actors.View{Name: "api", Status: actors.StatusRunning, ContainerID: &id},
		actors.View{Name: "job", Status: actors.StatusStopped}))
	tests := []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"port", "db", "5432"}, 0, "127.0.0.1:15432\n", ""},
		{[]string{"port", "db", "8080/tcp"}, 0, "[::1]:18080\n", ""},
		{[]string{"port", "db"}, 0, "5432/tcp -> 127.0.0.1:15432\n8080/tcp -> [::1]:18080\n", ""},
		{[]string{"port", "db", "5433"}, 1, "", "error: resource \"db\" does not publish container port 5433; it publishes 5432, 8080\n"},
		{[]string{"port", "api", "80"}, 1, "", "error: resource \"api\" publishes no port; add 80 to its ports in lightshuttle.yml\n"},
		{[]string{"port", "job", "80"}, 1, "", "error: resource \"job\" is not running (status stopped); start it with lsctl start job\n"},
		{[]string{"port", "dv", "80"}, 1, "", "error: unknown resource \"dv\" in project \"shop\" (did you mean \"db\"?)\n"},
		{[]string{"port", "db", "5432/udp"}, 2, "", "error: invalid port \"5432/udp\": lsctl publishes TCP ports only\nRun \"lsctl port --help\" for usage.\n"},
		{[]string{"port", "db", "x"}, 2, "", "error: invalid port \"x\": expected a container port number 1-65535, e.g. 5432\nRun \"lsctl port --help\" for usage.\n"},
		{[]string{"port"}, 2, "", "error: missing argument RESOURCE\nRun \"lsctl port --help\" for usage.\n"},
	}
	for _, tt := range tests {
		r := run(t, nil, append([]string{"--data-root", root, "-f", path}, tt.args...)...)
		if r.code != tt.code || r.stdout != tt.stdout || r.stderr != tt.stderr {
			t.Errorf("lsctl %v: code %d stdout %q stderr %q", tt.args, r.code, r.stdout, r.stderr)
		}
	}
}
