package containerdrt

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// docs/spec/runtime.md §0, §17 item 70: an unreachable daemon gives
// `cannot connect to containerd at <address>: <cause>` and matches ErrUnavailable.
func TestConnectUnreachable(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "none.sock")
	for _, addr := range []string{sock, "unix://" + sock} {
		_, err := Connect(context.Background(), Options{Address: addr})
		want := "cannot connect to containerd at " + sock + ": no such file or directory"
		if err == nil || err.Error() != want || !errors.Is(err, ErrUnavailable) {
			t.Errorf("Connect(%q) = %v, want %q wrapping ErrUnavailable", addr, err, want)
		}
	}
}

func TestOptionDefaults(t *testing.T) {
	o := withDefaults(Options{Address: "unix:///x.sock"})
	if o.Address != "/x.sock" || o.Namespace != "lightshuttle" || o.Snapshotter != "overlayfs" ||
		o.DataRoot != "/var/lib/lsctl" || o.Pull != PullMissing || o.LogDriver == "" {
		t.Errorf("defaults = %+v", o)
	}
}

// The CLI explains an unreachable daemon with errors.As, not by parsing the text.
func TestConnectUnreachableIsTyped(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "none.sock")
	_, err := Connect(context.Background(), Options{Address: sock})
	var ue *UnavailableError
	if !errors.As(err, &ue) || ue.Address != sock || !errors.Is(ue.Cause, syscall.ENOENT) {
		t.Fatalf("Connect = %#v, want an UnavailableError at %s caused by ENOENT", err, sock)
	}
	if !errors.Is(err, syscall.ENOENT) {
		t.Errorf("errors.Is(ENOENT) is false through %v", err)
	}
}

// Diagnostics go to the injected logger and CNI plugin stderr to the injected
// writer; a client built without them uses slog.Default and os.Stderr.
func TestInjectedLoggerAndPluginOutput(t *testing.T) {
	var logs, plugins bytes.Buffer
	c := &Client{opts: Options{
		Logger:       slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		PluginOutput: &plugins,
	}}
	c.warnf("resolv.conf has only %s", "loopback nameservers")
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "resolv.conf has only loopback nameservers") {
		t.Errorf("logger got %q", logs.String())
	}
	plugin := writePlugin(t, `echo "bridge says hi" >&2; echo '{}'`)
	if _, err := c.pluginExec().ExecPlugin(context.Background(), plugin, nil, nil); err != nil {
		t.Fatal(err)
	}
	if plugins.String() != "bridge says hi\n" {
		t.Errorf("plugin output %q, want the plugin's stderr", plugins.String())
	}
	bare := &Client{}
	if bare.logger() != slog.Default() || bare.pluginOutput() != os.Stderr {
		t.Error("a client without options must log to slog.Default and os.Stderr")
	}
}
