package containerdrt

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/containernetworking/cni/pkg/types"
)

// writePlugin writes an executable shell script standing in for a CNI plugin.
func writePlugin(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plugin")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// A CNI plugin runs in a process group of its own, so a Ctrl-C typed at `up` does
// not kill it halfway through an ADD or DEL (docs/spec/runtime.md §12.8); its stdin, env and
// stdout pass through.
func TestPluginExecOwnProcessGroup(t *testing.T) {
	// Field 5 of /proc/<pid>/stat is the process group (the name has no spaces here).
	plugin := writePlugin(t, `read in; echo "$in $CNI_COMMAND $(cut -d' ' -f5 /proc/$$/stat)"`)
	out, err := (&pluginExec{}).ExecPlugin(context.Background(), plugin, []byte("conf\n"), []string{"CNI_COMMAND=DEL"})
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(out))
	if len(fields) != 3 || fields[0] != "conf" || fields[1] != "DEL" {
		t.Fatalf("plugin output %q, want stdin, env and its process group", out)
	}
	if pgid, _ := strconv.Atoi(fields[2]); pgid == syscall.Getpgrp() || pgid == 0 {
		t.Errorf("plugin ran in process group %d, the test's own (%d)", pgid, syscall.Getpgrp())
	}
}

func TestPluginExecErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
		cniErr           bool
	}{
		{"CNI error on stdout", `echo '{"cniVersion":"1.0.0","code":11,"msg":"address in use"}'; exit 1`, "address in use", true},
		{"stderr only", `echo boom >&2; exit 2`, "exit status 2: boom", false},
		{"silent", `exit 3`, "exit status 3", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := (&pluginExec{}).ExecPlugin(context.Background(), writePlugin(t, tt.body), nil, nil)
			var ce *types.Error
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.As(err, &ce) != tt.cniErr {
				t.Errorf("error %v, want one containing %q (CNI error %v)", err, tt.want, tt.cniErr)
			}
		})
	}
}

// A helper killed by SIGINT (a Ctrl-C landing between its fork and its move to its own
// group) runs again, a bounded number of times; other failures are not retried.
func TestRunInOwnGroupRetriesInterrupted(t *testing.T) {
	tests := []struct {
		name         string
		interrupted  int    // runs that die of SIGINT before one runs script
		script       string // what the run after them does
		wantRuns     int
		wantErr      string
		wantSignaled bool
	}{
		{"two interrupted runs", 2, "exit 0", 3, "", false},
		{"always interrupted", 100, "exit 0", maxInterruptedRuns, "signal: interrupt", true},
		{"plain failure", 0, "exit 4", 1, "exit status 4", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := 0
			err := runInOwnGroup(func() *exec.Cmd {
				runs++
				if runs <= tt.interrupted {
					return exec.Command("sh", "-c", "kill -INT $$")
				}
				return exec.Command("sh", "-c", tt.script)
			})
			if runs != tt.wantRuns || (err == nil) != (tt.wantErr == "") ||
				(err != nil && !strings.Contains(err.Error(), tt.wantErr)) || killedByInterrupt(err) != tt.wantSignaled {
				t.Errorf("runs %d, error %v; want %d runs, error %q", runs, err, tt.wantRuns, tt.wantErr)
			}
		})
	}
}
