package cli

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// result is the outcome of one in-process lsctl run.
type result struct {
	code           int
	stdout, stderr string
}

// run executes lsctl in-process with args and the given environment variables.
func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code := Run(args, strings.NewReader(""), &out, &errb, lookup)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
