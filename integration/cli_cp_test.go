package integration

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// Issue 13: cp copies files and directories in and out of a running container with
// owners and modes, SRC/. as docker cp reads it, and tar streams on stdin and stdout.
func TestCLICp(t *testing.T) {
	env := harness.Require(t)
	dir := dayStack(t, env, "clicp")
	src := filepath.Join(dir, "seed")
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "sub", "conf"), []byte("k=v\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{src, filepath.Join(src, "sub"), filepath.Join(src, "sub", "conf")} {
		if err := os.Chown(p, 70, 71); err != nil {
			t.Fatal(err)
		}
	}
	if code, out, errOut := cliRun(t, env, dir, "cp", "./seed", "shell:/tmp/"); code != 0 {
		t.Fatalf("cp in: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := cliRun(t, env, dir, "exec", "shell", "--", "sh", "-c", "stat -c '%a %u:%g %n' /tmp/seed /tmp/seed/sub/conf; cat /tmp/seed/sub/conf")
	if code != 0 || out != "750 70:71 /tmp/seed\n640 70:71 /tmp/seed/sub/conf\nk=v\n" {
		t.Errorf("copied in: exit %d\n%s%s", code, out, errOut)
	}

	if code, _, errOut := cliRun(t, env, dir, "cp", "shell:/tmp/seed/sub/conf", "./back"); code != 0 {
		t.Fatalf("cp out to a new name: %s", errOut)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "back")); string(data) != "k=v\n" {
		t.Errorf("copied out: %q", data)
	}
	var st os.FileInfo
	if st, _ = os.Stat(filepath.Join(dir, "back")); st == nil || st.Mode().Perm() != 0o640 {
		t.Errorf("copied out with mode %v, want 0640", st)
	}

	// docker cp's SRC/.: what is in the directory, into an existing one; without it,
	// the directory itself goes into an existing one.
	if code, _, errOut := cliRun(t, env, dir, "exec", "shell", "--", "mkdir", "/tmp/filled"); code != 0 {
		t.Fatal(errOut)
	}
	if code, _, errOut := cliRun(t, env, dir, "cp", "seed/.", "shell:/tmp/filled"); code != 0 {
		t.Fatalf("cp seed/. in: %s", errOut)
	}
	if code, out, errOut := cliRun(t, env, dir, "exec", "shell", "--", "sh", "-c", "cat /tmp/filled/sub/conf; ls /tmp/filled"); code != 0 || out != "k=v\nsub\n" {
		t.Errorf("cp seed/. in: exit %d, %q %s", code, out, errOut)
	}
	for _, d := range []string{"out", "out2"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, errOut := cliRun(t, env, dir, "cp", "shell:/tmp/seed/.", "out"); code != 0 {
		t.Fatalf("cp shell:/tmp/seed/. out: %s", errOut)
	}
	if code, _, errOut := cliRun(t, env, dir, "cp", "shell:/tmp/seed", "out2"); code != 0 {
		t.Fatalf("cp shell:/tmp/seed out2: %s", errOut)
	}
	for p, want := range map[string]bool{"out/sub/conf": true, "out/seed": false, "out2/seed/sub/conf": true, "out2/sub": false} {
		if _, err := os.Stat(filepath.Join(dir, p)); (err == nil) != want {
			t.Errorf("after cp out: %s exists %v, want %v", p, err == nil, want)
		}
	}

	code, out, errOut = cliRun(t, env, dir, "cp", "shell:/tmp/seed", "-")
	if names := tarNames(t, out); code != 0 || strings.Join(names, " ") != "seed/ seed/sub/ seed/sub/conf" {
		t.Errorf("cp out to -: exit %d, entries %v, %s", code, names, errOut)
	}
	if code, _, errOut := cliRunInput(t, env, dir, tarOf(t, "streamed/x", "from stdin"), "cp", "-", "shell:/tmp"); code != 0 {
		t.Fatalf("cp - in: %s", errOut)
	}
	if code, out, _ := cliRun(t, env, dir, "exec", "shell", "--", "cat", "/tmp/streamed/x"); code != 0 || out != "from stdin" {
		t.Errorf("streamed in: exit %d %q", code, out)
	}
}

// Issue 13: cp refuses paths that leave the container's root through `..` or a
// symbolic link, and a stream with such an entry writes nothing; the container's own
// absolute links resolve inside it, never on the host.
func TestCLICpEscapes(t *testing.T) {
	env := harness.Require(t)
	dir := dayStack(t, env, "clicpesc")
	if code, _, errOut := cliRun(t, env, dir, "exec", "shell", "--", "sh", "-c", "ln -s ../../../../.. /tmp/up && ln -s /etc /tmp/etclink"); code != 0 {
		t.Fatal(errOut)
	}
	for _, args := range [][]string{
		{"cp", "shell:/../../etc/hostname", "./x"},
		{"cp", "shell:/tmp/up/etc/hostname", "./x"},
		{"cp", "./lightshuttle.yml", "shell:/tmp/up/"},
	} {
		code, _, errOut := cliRun(t, env, dir, args...)
		if code != 1 || !strings.Contains(errOut, "leaves the root of shell") {
			t.Errorf("lsctl %v: exit %d, %q; want a refusal", args, code, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Error("a refused copy wrote ./x")
	}
	bad := tarOf(t, "good", "1") + tarOf(t, "../evil", "2")
	if code, _, errOut := cliRunInput(t, env, dir, bad, "cp", "-", "shell:/tmp"); code != 1 || !strings.Contains(errOut, `archive entry "../evil"`) {
		t.Errorf("cp - with ../evil: exit %d, %q", code, errOut)
	}
	if code, out, _ := cliRun(t, env, dir, "exec", "shell", "--", "ls", "/tmp/good", "/evil"); code == 0 {
		t.Errorf("a refused stream wrote files: %s", out)
	}
	name := "lsctl-cp-" + filepath.Base(dir)
	if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := cliRun(t, env, dir, "cp", "./"+name, "shell:/tmp/etclink/"); code != 0 {
		t.Fatalf("cp through the container's /tmp/etclink: %s", errOut)
	}
	if _, err := os.Stat("/etc/" + name); err == nil {
		os.Remove("/etc/" + name)
		t.Fatal("a copy through a link in the container wrote to the host's /etc")
	}
	if code, _, _ := cliRun(t, env, dir, "exec", "shell", "--", "test", "-f", "/etc/"+name); code != 0 {
		t.Error("the copy did not land in the container's /etc")
	}
}

// tarOf is a tar stream (without its end marker when concatenated) of one file.
func tarOf(t *testing.T, name, content string) string {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	_, _ = tw.Write([]byte(content))
	_ = tw.Flush()
	return b.String()
}

// tarNames lists the entries of a tar stream.
func tarNames(t *testing.T, stream string) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(strings.NewReader(stream))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		names = append(names, hdr.Name)
	}
}
