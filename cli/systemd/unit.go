// Package systemd writes the systemd unit that runs one stack's owner at boot
// (docs/spec/runtime.md §16.12): the unit's text, its name rules, and the check
// that a unit file is one lsctl wrote.
package systemd

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lightshuttle/lsctl/manifest"
)

// unitMarker opens every unit lsctl writes: install and uninstall touch only files
// that start with it, and unitProjectKey names the project the unit runs.
const (
	unitMarker     = "# Written by lsctl service install."
	unitProjectKey = "# lsctl-project: "
)

// Stop timeout terms (docs/spec/runtime.md §12.7): after the grace, lsctl sends SIGKILL and waits
// up to stopKillWait (containerdrt's own bound); stopMargin covers task, container,
// snapshot and CNI removal and the network teardown, which take well under a second
// each when containerd answers, and is the slack lsctl's teardown deadlines use.
const (
	stopKillWait = 10 * time.Second
	stopMargin   = 30 * time.Second
)

// Unit is the systemd unit that runs one stack's supervisor: a foreground
// `lsctl up` of the manifest, with every option resolved at install time.
type Unit struct {
	Name      string // unit file name, e.g. lsctl-shop.service
	Project   string
	Manifest  string      // absolute manifest path
	WorkDir   string      // the manifest directory
	ExecStart []string    // argv; the absolute lsctl path first
	Env       [][2]string // Environment= assignments, in order
	Grace     time.Duration
	Levels    int // plan.StopLevels: dependency levels that stop one after another
}

// StopTimeout is TimeoutStopSec: every level may use its grace and the wait after
// SIGKILL, one level after the other, then the removals.
func (u *Unit) StopTimeout() time.Duration {
	return time.Duration(u.Levels)*(u.Grace+stopKillWait) + stopMargin
}

// Render is the unit file. Comments say why each directive is there, for the
// administrator who reads it in /etc/systemd/system.
func (u *Unit) Render() string {
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	line("%s Local changes belong in a drop-in", unitMarker)
	line("# (systemctl edit %s): lsctl service install rewrites this file.", u.Name)
	line("%s%s", unitProjectKey, u.Project)
	line("# lsctl-manifest: %s", u.Manifest)
	line("")
	line("[Unit]")
	line("Description=lightshuttle stack %s (lsctl up)", unitEscape(u.Project))
	line("# The stack runs on containerd; pulls and published ports want the network.")
	line("Wants=containerd.service network-online.target")
	line("After=containerd.service network-online.target")
	line("")
	line("[Service]")
	line("# lsctl up in the foreground is the stack's supervisor for as long as the unit runs.")
	line("Type=exec")
	line("WorkingDirectory=%s", unitEscape(u.WorkDir))
	for _, kv := range u.Env {
		line("Environment=%s", unitWord(kv[0]+"="+kv[1]))
	}
	line("ExecStart=%s", execLine(u.ExecStart))
	line("# SIGINT is Ctrl-C for lsctl up: it stops the resources in reverse dependency order,")
	line("# removes them and the network, and exits 130 (143 after SIGTERM, 129 after SIGHUP).")
	line("KillSignal=SIGINT")
	line("SuccessExitStatus=129 130 143")
	line("# SIGINT goes to lsctl alone, not to the CNI plugins it may be running; SIGKILL after")
	line("# the timeout reaches only this unit's processes. Containers, their shims and log")
	line("# drivers are children of containerd, outside this unit: systemd never kills them.")
	line("KillMode=mixed")
	line("# %d dependency level(s) stop one after another, each within the grace (%s) plus %s",
		u.Levels, manifest.FormatDuration(u.Grace), manifest.FormatDuration(stopKillWait))
	line("# after SIGKILL; %s more for removing containers and the network.", manifest.FormatDuration(stopMargin))
	line("TimeoutStopSec=%d", int64(math.Ceil(u.StopTimeout().Seconds())))
	line("# A failed start (containerd not up yet, a resource failing) is retried every 5 s,")
	line("# below systemd's start rate limit, so the stack comes back once the cause is gone.")
	line("Restart=on-failure")
	line("RestartSec=5s")
	line("")
	line("[Install]")
	line("WantedBy=multi-user.target")
	return b.String()
}

// ProjectOf returns the project of a unit lsctl wrote; ok is false for any other file.
func ProjectOf(text string) (project string, ok bool) {
	if !strings.HasPrefix(text, unitMarker) {
		return "", false
	}
	for _, l := range strings.Split(text, "\n") {
		if p, found := strings.CutPrefix(l, unitProjectKey); found {
			return strings.TrimSpace(p), true
		}
	}
	return "", false
}

// execLine renders an ExecStart= command line (systemd.service(5), "Command lines"):
// "$" would start a variable there, so it is doubled too.
func execLine(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = unitWord(strings.ReplaceAll(a, "$", "$$"))
	}
	return strings.Join(words, " ")
}

// unitWord quotes one word of a setting that systemd splits at whitespace (ExecStart=,
// Environment=): a word with whitespace, quotes, a backslash or ";" is double-quoted
// with C escapes, and "%" (a specifier) is doubled.
func unitWord(w string) string {
	w = unitEscape(w)
	if w != "" && !strings.ContainsAny(w, " \t\"'\\;") {
		return w
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(w) + `"`
}

// unitEscape doubles "%", which starts a specifier in every setting lsctl writes.
func unitEscape(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// Safe reports why s cannot appear in a unit file: systemd reads UTF-8 lines, so a
// control character (a newline above all) or invalid UTF-8 cannot be written.
func Safe(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s %q is not valid UTF-8, which a systemd unit cannot hold; rename it", what, s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%s %q contains a control character, which a systemd unit cannot hold; rename it", what, s)
		}
	}
	return nil
}

// maxUnitName is systemd's limit on a unit name (UNIT_NAME_MAX - 1).
const maxUnitName = 255

// UnitName turns --name (with or without ".service") into a unit file name. It allows
// less than systemd does: no "@" (a template instance), "\" (an escape) or ":" (which
// tools such as systemd-analyze verify read as a separator).
func UnitName(name string) (string, error) {
	base := strings.TrimSuffix(name, ".service")
	ok := base != "" && len(base)+len(".service") <= maxUnitName && isAlnum(base[0])
	for i := 0; ok && i < len(base); i++ {
		ok = isAlnum(base[i]) || strings.IndexByte("_.-", base[i]) >= 0
	}
	if !ok {
		return "", fmt.Errorf("invalid --name %q: a unit name starts with a letter or digit, uses only letters, "+
			"digits and \"_.-\", and is at most %d characters with its .service suffix (e.g. --name lsctl-shop)",
			name, maxUnitName)
	}
	return base + ".service", nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
