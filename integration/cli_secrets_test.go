package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// docs/spec/runtime.md §17 item 64, §8: a generated postgres password never appears in the
// output of up, restart or down, in the event stream (`events --json`, a whole lifecycle),
// in ps, ps --json, manifest, logs or supervisor.log; ps --show-secrets, ps --json
// --show-secrets and manifest --show-secrets show it. A dependent gets it through its url.
func TestCLIGeneratedPasswordNeverPrinted(t *testing.T) {
	env := harness.Require(t)
	const project = "clisecret"
	dir := cliWriteManifest(t, fmt.Sprintf(`project: {name: %s}
resources:
  db:
    postgres:
      image: %s
      healthcheck: {interval: 500ms, start_period: 30s}
  api:
    container:
      image: %s
      command: "trap 'exit 0' TERM; while :; do sleep 1; done"
      depends_on: [db]
      env:
        DATABASE_URL: ${resources.db.url}
`, project, harness.ImageRef("postgres"), harness.ImageRef("busybox")))
	cliLoadImages(t, env, dir, "postgres", "busybox")
	code, upOut, upErr := cliRun(t, env, dir, "up", "-d", "--pull", "never")
	if code != 0 {
		t.Fatalf("up -d: exit %d\n%s%s", code, upOut, upErr)
	}
	t.Cleanup(func() { cliRun(t, env, dir, "down", "--volumes") })
	password := storedPassword(t, env, project, "db")
	if len(password) != 24 {
		t.Fatalf("generated password has %d characters, want 24", len(password))
	}
	// The password reached the dependent: it is real, and lsctl knew it all along.
	code, envOut, _ := cliRun(t, env, dir, "exec", "-T", "api", "--", "sh", "-c", "echo \"$DATABASE_URL\"")
	if code != 0 || !strings.Contains(envOut, ":"+password+"@db:5432/db") {
		t.Fatalf("api's DATABASE_URL lacks the stored password (exit %d)", code)
	}

	events := startEvents(t, env, dir, "events", "--json", "--since", "1h")
	printed := map[string]string{"up -d": upOut + upErr}
	run := func(args ...string) string {
		t.Helper()
		code, out, errOut := cliRun(t, env, dir, args...)
		if code != 0 {
			sl, _ := os.ReadFile(filepath.Join(plan.ProjectDir(env.DataRoot, project), "supervisor.log"))
			t.Fatalf("%s: exit %d\n%s%s\nsupervisor.log:\n%s", strings.Join(args, " "), code, out, errOut, sl)
		}
		return out + errOut
	}
	printed["restart db"] = run("restart", "db")
	for _, args := range [][]string{{"ps"}, {"ps", "--json"}, {"manifest"}, {"logs"}} {
		printed[strings.Join(args, " ")] = run(args...)
	}
	for _, args := range [][]string{{"ps", "--show-secrets"}, {"ps", "--json", "--show-secrets"}, {"manifest", "--show-secrets"}} {
		if out := run(args...); !strings.Contains(out, password) {
			t.Errorf("%s does not show the generated password:\n%s", strings.Join(args, " "), out)
		}
	}
	printed["down"] = run("down")
	var stream []string
	for open := true; open; { // the stream ends with the stack
		var l string
		select {
		case l, open = <-events:
			stream = append(stream, l)
		case <-time.After(time.Minute):
			t.Fatalf("lsctl events did not end within a minute of down:\n%s", strings.Join(stream, "\n"))
		}
	}
	printed["events --json"] = strings.Join(stream, "\n")
	if !strings.Contains(printed["events --json"], `"stack_stopped"`) {
		t.Errorf("the event stream did not last to the end of the stack:\n%s", printed["events --json"])
	}
	log, err := os.ReadFile(filepath.Join(plan.ProjectDir(env.DataRoot, project), "supervisor.log"))
	if err != nil {
		t.Fatal(err)
	}
	printed["supervisor.log"] = string(log)
	for what, text := range printed {
		if strings.Contains(text, password) {
			t.Errorf("%s printed the generated password (shown here as <PASSWORD>):\n%s", what, strings.ReplaceAll(text, password, "<PASSWORD>"))
		}
	}
}

// storedPassword reads the generated password of resource res from the project's
// secrets.json (docs/spec/runtime.md §8.2).
func storedPassword(t *testing.T, env *harness.Env, project, res string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(plan.ProjectDir(env.DataRoot, project), "secrets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Resources map[string]struct{ Password string } `json:"resources"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("secrets.json: %v", err)
	}
	return f.Resources[res].Password
}
