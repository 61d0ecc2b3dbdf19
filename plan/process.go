package plan

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lightshuttle/lsctl/manifest"
)

// defaultPath is the PATH given to a process whose image sets none (docs/spec/runtime.md §3.1).
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ErrNoCommand is returned by MergeProcess when neither the image nor the manifest gives
// a command.
var ErrNoCommand = errors.New("no command to run: the image defines none and the manifest sets none")

// Process is the container's init process after merging the image configuration.
type Process struct {
	Args       []string
	Env        []string // K=V, image order first, later layers overriding in place
	User       string
	Cwd        string
	StopSignal string // "SIGxxx"
}

// MergeProcess combines the spec with the image configuration with Docker semantics
// (docs/spec/runtime.md §3.1).
func MergeProcess(s *ContainerSpec, img ImageConfig) (Process, error) {
	args := mergeArgs(s.Entrypoint, s.Command, img)
	if len(args) == 0 {
		return Process{}, fmt.Errorf("resource %q: %w", s.Resource, ErrNoCommand)
	}
	sig, err := NormalizeSignal(img.StopSignal)
	if err != nil {
		return Process{}, fmt.Errorf("resource %q: image stop signal: %w", s.Resource, err)
	}
	cwd := s.WorkingDir
	if cwd == "" {
		cwd = img.WorkingDir
	}
	if cwd == "" {
		cwd = "/"
	}
	p := Process{
		Args:       args,
		Env:        mergeEnv(s, img.Env),
		User:       img.User,
		Cwd:        cwd,
		StopSignal: sig,
	}
	if err := p.checkNUL(); err != nil {
		return Process{}, fmt.Errorf("resource %q: %w", s.Resource, err)
	}
	return p, nil
}

// checkNUL refuses a process that runc would refuse with the offending variable, a
// secret's value included, in its error. Validation rejects such manifest values
// (nul-in-value); this also covers the image's configuration. It names the variable
// or argument, never the value.
func (p Process) checkNUL() error {
	for _, kv := range p.Env {
		if k, v, _ := strings.Cut(kv, "="); manifest.HasNUL(v) || manifest.HasNUL(k) {
			return fmt.Errorf("environment variable %s contains a NUL byte, which no process environment can hold (the value is not shown)", manifest.QuoteInput(k))
		}
	}
	for i, a := range p.Args {
		if manifest.HasNUL(a) {
			return fmt.Errorf("argument %d of the command contains a NUL byte, which no process argument can hold", i)
		}
	}
	if manifest.HasNUL(p.Cwd) {
		return errors.New("the working directory contains a NUL byte")
	}
	return nil
}

// mergeArgs applies the entrypoint/command table of docs/spec/runtime.md §3.1: an explicit
// entrypoint discards the image CMD; entrypoint [""] clears the image ENTRYPOINT.
func mergeArgs(entrypoint, command []string, img ImageConfig) []string {
	var ep, cmd []string
	switch {
	case entrypoint == nil:
		ep, cmd = img.Entrypoint, img.Cmd
	case len(entrypoint) == 1 && entrypoint[0] == "":
		ep = nil
	default:
		ep = entrypoint
	}
	if command != nil {
		cmd = command
	}
	args := make([]string, 0, len(ep)+len(cmd))
	args = append(args, ep...)
	return append(args, cmd...)
}

// mergeEnv layers image Env, PATH default and HOSTNAME, then the spec's variables; a
// later layer overrides a key in place so the image's order is kept.
func mergeEnv(s *ContainerSpec, imageEnv []string) []string {
	out := OverrideEnv(nil, imageEnv)
	if !slices.ContainsFunc(out, func(kv string) bool { k, _, _ := strings.Cut(kv, "="); return k == "PATH" }) {
		out = append(out, defaultPath)
	}
	hostname := s.Hostname
	if hostname == "" {
		hostname = s.Resource
	}
	extra := []string{"HOSTNAME=" + hostname}
	for _, v := range s.Env {
		extra = append(extra, v.Name+"="+v.Value)
	}
	return OverrideEnv(out, extra)
}

// OverrideEnv returns base followed by extra, where a variable set again replaces the
// earlier one in place instead of being appended: getenv returns the first of duplicate
// entries, and the image's order stays. The result has each name once.
func OverrideEnv(base, extra []string) []string {
	out := make([]string, 0, len(base)+len(extra))
	index := map[string]int{}
	for _, kv := range slices.Concat(base, extra) {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := index[k]; ok {
			out[i] = kv
			continue
		}
		index[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// signalNames are the Linux signal numbers 1-31 by name.
var signalNames = []string{"", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
	"SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM",
	"SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU",
	"SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
	"SIGSYS"}

// NormalizeSignal turns an image StopSignal ("SIGINT", "INT", "sigint", "2") into its
// "SIGxxx" name; "" is SIGTERM.
func NormalizeSignal(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "SIGTERM", nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n >= len(signalNames) {
			return "", fmt.Errorf("unknown signal number %d", n)
		}
		return signalNames[n], nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	for _, known := range signalNames[1:] {
		if name == known {
			return name, nil
		}
	}
	if strings.HasPrefix(name, "SIGRTMIN") || strings.HasPrefix(name, "SIGRTMAX") {
		return name, nil
	}
	return "", fmt.Errorf("unknown signal %q", s)
}
