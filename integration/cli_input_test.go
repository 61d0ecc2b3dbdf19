package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/integration/harness"
	"github.com/lightshuttle/lsctl/plan"
)

// appManifest is the manifest of project with one busybox container, app, whose
// container fields are given (each line indented by six spaces).
func appManifest(project, fields string) string {
	return fmt.Sprintf("project: {name: %s}\nresources:\n  app:\n    container:\n      image: %s\n%s", project, harness.ImageRef("busybox"), fields)
}

// appProject writes appManifest into a fresh directory, loads busybox and runs down
// after the test.
func appProject(t *testing.T, env *harness.Env, project, fields string) string {
	t.Helper()
	dir := cliWriteManifest(t, appManifest(project, fields))
	cliLoadImages(t, env, dir, "busybox")
	t.Cleanup(func() { cliRun(t, env, dir, "down") })
	return dir
}

// Issue 12 item 7, docs/spec/manifest.md §15.1, §29 item 102, docs/spec/runtime.md §17 item 99: a `:ro`
// mapping is mounted read-only — the container reads it and a write through it fails —
// while a mapping without a mode stays writable.
func TestCLIVolumeReadOnly(t *testing.T) {
	env := harness.Require(t)
	dir := appProject(t, env, "clivro", `      volumes: ["./conf:/etc/app:ro", "./data:/data"]
      command: "cat /etc/app/greeting > /data/read; if touch /etc/app/written 2>/data/err; then echo writable; else echo refused; fi > /data/ro; exec sleep 3600"
      healthcheck:
        test: ["CMD", "test", "-s", "/data/ro"]
        interval: 1s
        start_interval: 100ms
`)
	writeFiles(t, dir, map[string]string{"conf/greeting": "hello\n"})
	code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never", "--wait-timeout", "60s")
	if code != 0 {
		t.Fatalf("up -d: exit %d\n%s%s", code, out, errOut)
	}
	for file, want := range map[string]string{"read": "hello\n", "ro": "refused\n"} {
		if data, err := os.ReadFile(filepath.Join(dir, "data", file)); err != nil || string(data) != want {
			t.Errorf("data/%s = %q, %v; want %q", file, data, err, want)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "data", "err")); !strings.Contains(string(data), "Read-only file system") {
		t.Errorf("the write failed with %q, want Read-only file system", data)
	}
	if _, err := os.Stat(filepath.Join(dir, "conf", "written")); err == nil {
		t.Error("the container wrote through the :ro mapping")
	}
}

// Issue 12 item 7, docs/spec/manifest.md §15.3: `./linkdir -> /etc` is refused by validate and
// by up, before anything runs; nothing of the project is created.
func TestCLIVolumeSymlinkEscapeRefused(t *testing.T) {
	env := harness.Require(t)
	dir := appProject(t, env, "clivln", `      volumes: ["./linkdir:/host-etc"]
      command: "touch /host-etc/lsctl-escaped; exec sleep 3600"
`)
	if err := os.Symlink("/etc", filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	const want = `resources.app.container.volumes[0]: invalid volume mapping "./linkdir:/host-etc": host path `
	for _, args := range [][]string{{"validate"}, {"up", "-d", "--pull", "never"}, {"up", "--pull", "never"}} {
		code, out, errOut := cliRun(t, env, dir, args...)
		if code != 1 || !strings.Contains(errOut, want) || !strings.Contains(errOut, `resolves through a symbolic link to "/etc", outside the manifest directory`) {
			t.Errorf("lsctl %v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	if _, err := os.Stat("/etc/lsctl-escaped"); err == nil {
		t.Fatal("the container wrote into the host's /etc")
	}
	if _, out, _ := cliRun(t, env, dir, "ps"); strings.Contains(out, "app: running") || strings.Contains(out, "app: healthy") {
		t.Errorf("ps after the refused up:\n%s", out)
	}
}

// Issue 12 item 7, docs/spec/runtime.md §7.3, §17 item 100: the host path is resolved again when
// a container is created, so a link made after validation cannot escape either. The
// stack runs with ./data a real directory; ./data is then moved aside and replaced by a
// link out of the manifest directory, and the container exits: the supervisor's
// restart, which validates nothing, creates a fresh container and refuses to mount it.
func TestCLIVolumeSymlinkAfterValidation(t *testing.T) {
	env := harness.Require(t)
	const project = "clivla"
	dir := appProject(t, env, project, `      volumes: ["./data:/data"]
      command: "touch /data/started; while [ ! -f /data/stop ]; do sleep 0.1; done; rm /data/stop; exit 3"
      restart: always
`)
	if code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never"); code != 0 {
		t.Fatalf("up -d: exit %d\n%s%s", code, out, errOut)
	}
	data, aside, outside := filepath.Join(dir, "data"), filepath.Join(dir, "data.old"), t.TempDir()
	if err := os.Rename(data, aside); err != nil { // the running container keeps its mount
		t.Fatal(err)
	}
	if err := os.Symlink(outside, data); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, aside, map[string]string{"stop": ""})
	// ps refuses the manifest now (validation sees the link): the supervisor's log
	// tells what happened to the restart.
	var log []byte
	waitForCLI(t, func() bool {
		log, _ = os.ReadFile(filepath.Join(plan.ProjectDir(env.DataRoot, project), "supervisor.log"))
		return strings.Contains(string(log), "app: failed: ")
	})
	if want := `host path "` + data + `" resolves through a symbolic link to "` + outside + `", outside the manifest directory`; !strings.Contains(string(log), want) {
		t.Errorf("the refusal is not reported as %q:\n%s", want, log)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("the restarted container wrote outside the manifest directory: %v", entries)
	}
}

// Issue 12 item 7, docs/spec/manifest.md §29 item 100: a NUL byte in a secret fails up before
// anything is created, naming the key; the value is in no output and no file of the
// data root (runc used to echo it in its error and the log).
func TestCLINULSecretRefused(t *testing.T) {
	env := harness.Require(t)
	dir := appProject(t, env, "clinul", `      command: "exec sleep 3600"
      secrets: {TOKEN: "${env.TOKEN}"}
`)
	writeFiles(t, dir, map[string]string{".env": "TOKEN=s3cret-nul\x00tail\n"})
	for _, args := range [][]string{{"validate"}, {"up", "-d", "--pull", "never"}, {"up", "--pull", "never"}} {
		code, out, errOut := cliRun(t, env, dir, args...)
		if code != 1 || !strings.Contains(errOut, "resources.app.container.secrets.TOKEN: the value contains a NUL byte") ||
			strings.Contains(out+errOut, "s3cret") {
			t.Errorf("lsctl %v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	err := filepath.WalkDir(env.DataRoot, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if data, err := os.ReadFile(p); err == nil && strings.Contains(string(data), "s3cret") {
			t.Errorf("%s holds the secret", p)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// Issue 12 item 8, docs/spec/runtime.md §12.3, §17 item 101: the "last 20 log lines" of a failed
// startup are the failing attempt's only. The log file keeps an earlier run's lines
// (down keeps logs), and a running container adopted by the next up keeps its older
// lines: neither appears in the report.
func TestCLIStartupReportOnlyFailedAttempt(t *testing.T) {
	env := harness.Require(t)
	const project = "clilast"
	manifest := func(command, test string) string {
		return appManifest(project, fmt.Sprintf(`      command: %q
      healthcheck:
        test: ["CMD", %q]
        interval: 200ms
        start_interval: 100ms
        retries: 2
`, command, test))
	}
	dir := appProject(t, env, project, "")
	write := func(m string) {
		if err := os.WriteFile(filepath.Join(dir, "lightshuttle.yml"), []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(manifest("echo earlier run line; exec sleep 3600", "true"))
	up := func(wantCode int) string {
		t.Helper()
		code, out, errOut := cliRun(t, env, dir, "up", "-d", "--pull", "never", "--wait-timeout", "5s", "--grace", "1s")
		if code != wantCode {
			t.Fatalf("up -d: exit %d, want %d\n%s%s", code, wantCode, out, errOut)
		}
		return out + errOut
	}
	up(0)
	// Adopted: the same configuration (a healthcheck is not part of it) with a probe
	// that fails. The container runs on and its earlier line is not this attempt's.
	write(manifest("echo earlier run line; exec sleep 3600", "false"))
	if out := up(1); !strings.Contains(out, "last 20 log lines of app:\n  (no output)\n") || strings.Contains(out, "earlier run line") {
		t.Errorf("failed up of an adopted container:\n%s", out)
	}
	if code, out, errOut := cliRun(t, env, dir, "down"); code != 0 {
		t.Fatalf("down: exit %d\n%s%s", code, out, errOut)
	}
	// A fresh container whose probe fails: its own lines, not the earlier run's.
	write(manifest("echo failing attempt line; exec sleep 3600", "false"))
	if out := up(1); !strings.Contains(out, "last 20 log lines of app:\n  failing attempt line\n") || strings.Contains(out, "earlier run line") {
		t.Errorf("failed up of a fresh container:\n%s", out)
	}
}
