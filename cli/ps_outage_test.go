package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/cli/control/controltest"
)

// Issue 11 item 2: while the supervising up cannot reach containerd, ps says so in a
// notice line, shows live statuses as unknown, and --json gains "containerd":
// "unavailable" on every view while stdout stays one JSON document; once containerd
// answers, ps is as before.
func TestPSContainerdUnavailable(t *testing.T) {
	path := writeManifest(t, "project: {name: shop}\nresources:\n  db:\n    postgres: {}\n  api:\n    container: {image: 'a:1'}\n", nil)
	root := t.TempDir()
	views := controltest.ShopViews()
	views = append(views, actors.View{Name: "job", Kind: "container", Status: actors.StatusExited})
	fp := controltest.NewPlane("shop", views...)
	fp.SetContainerd(errors.New("cannot connect to containerd at /run/x.sock: connection refused"))
	serveFake(t, root, fp)

	r := run(t, nil, "--data-root", root, "-f", path, "ps")
	notice := fmt.Sprintf("[shop] containerd unavailable: cannot connect to containerd at /run/x.sock: connection refused; "+
		"statuses are unknown until it answers again, then lsctl up (pid %d) reconciles every resource with it\n", os.Getpid())
	if r.code != 0 || !strings.HasSuffix(r.stdout, notice) || !strings.Contains(r.stdout, "db    postgres   unknown") ||
		!strings.Contains(r.stdout, "api   container  unknown") || !strings.Contains(r.stdout, "job   container  exited") {
		t.Errorf("ps: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = run(t, nil, "--data-root", root, "-f", path, "ps", "--json")
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != 0 || r.stderr != notice {
		t.Fatalf("ps --json: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	for _, v := range got {
		if v["containerd"] != "unavailable" || v["status"] == statusUnknown {
			t.Errorf("view %v: want the last known status and containerd unavailable", v)
		}
	}

	fp.SetContainerd(nil)
	r = run(t, nil, "--data-root", root, "-f", path, "ps", "--json")
	if r.code != 0 || strings.Contains(r.stdout, "containerd") || r.stderr != "" {
		t.Errorf("ps --json once containerd answers: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
