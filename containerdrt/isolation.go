package containerdrt

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
)

// isolator keeps project networks from reaching each other (docs/spec/runtime.md §5.4: a
// project reaches nothing of other projects). Tests inject a recorder.
type isolator interface {
	// ensure installs the bridge's rules (idempotent).
	ensure(ctx context.Context, bridge, network string) error
	// ensureFirst keeps lsctl's isolation jump ahead of the CNI firewall plugin's
	// ACCEPT rules in FORWARD, which the plugin inserts at the top on first use.
	ensureFirst(ctx context.Context) error
	// remove deletes the bridge's rules; missing rules are fine.
	remove(ctx context.Context, bridge, network string) error
}

func (c *Client) isolation() isolator {
	if c.net.firewall != nil {
		return c.net.firewall
	}
	return iptablesIsolator{}
}

// isolationChain is lsctl's filter chain, jumped to first from FORWARD.
const isolationChain = "LSCTL-ISOLATION"

// isolationJump is the first rule of FORWARD, as `iptables -S` prints it.
var isolationJump = []string{"-A", "FORWARD", "-j", isolationChain}

// iptablesIsolator implements isolation with two filter rules per bridge: traffic
// that stays on the bridge returns, traffic from it to any other lsctl bridge drops.
//
// ensure and remove read the filter table once and apply what is missing or to go in
// one iptables-restore transaction: every iptables call is a process and most are a
// kernel commit, and both sit on the critical path of up and down. When the
// transaction fails (another lsctl changed the table in between), they fall back to
// one checked call per rule.
type iptablesIsolator struct{}

func bridgeRules(bridge, network string) [][]string {
	comment := []string{"-m", "comment", "--comment", "lsctl " + network}
	return [][]string{
		append([]string{"-i", bridge, "-o", bridge}, append(comment, "-j", "RETURN")...),
		append([]string{"-i", bridge, "-o", "lsh+"}, append(comment, "-j", "DROP")...),
	}
}

func (iptablesIsolator) ensure(ctx context.Context, bridge, network string) error {
	if ensureBatched(ctx, bridge, network) == nil {
		return nil
	}
	return ensureOneByOne(ctx, bridge, network)
}

func (iptablesIsolator) ensureFirst(ctx context.Context) error {
	out, err := iptablesOutput(ctx, "-S", "FORWARD", "1")
	if err == nil && strings.TrimSpace(out) == strings.Join(isolationJump, " ") {
		return nil
	}
	return ensureIsolationChain(ctx)
}

func (iptablesIsolator) remove(ctx context.Context, bridge, network string) error {
	if removeBatched(ctx, bridge, network) == nil {
		return nil
	}
	return removeOneByOne(ctx, bridge, network)
}

// ensureBatched is ensure as one read of the table and one transaction.
func ensureBatched(ctx context.Context, bridge, network string) error {
	table, err := readFilterTable(ctx)
	if err != nil {
		return err
	}
	var batch [][]string
	if !table.hasChain(isolationChain) {
		batch = append(batch, []string{":" + isolationChain, "-", "[0:0]"})
	}
	for _, rule := range bridgeRules(bridge, network) {
		if rule = append([]string{"-A", isolationChain}, rule...); !table.has(rule) {
			batch = append(batch, rule)
		}
	}
	return iptablesRestore(ctx, append(batch, table.jumpFixes()...))
}

// removeBatched is remove as one read of the table and one transaction.
func removeBatched(ctx context.Context, bridge, network string) error {
	table, err := readFilterTable(ctx)
	if err != nil {
		return err
	}
	var batch [][]string
	for _, rule := range bridgeRules(bridge, network) {
		for range table.count(append([]string{"-A", isolationChain}, rule...)) {
			batch = append(batch, append([]string{"-D", isolationChain}, rule...))
		}
	}
	return iptablesRestore(ctx, batch)
}

// ensureOneByOne is ensure with one checked iptables call per step.
func ensureOneByOne(ctx context.Context, bridge, network string) error {
	if err := ensureIsolationChain(ctx); err != nil {
		return err
	}
	for _, rule := range bridgeRules(bridge, network) {
		if iptables(ctx, append([]string{"-C", isolationChain}, rule...)...) == nil {
			continue
		}
		if err := iptables(ctx, append([]string{"-A", isolationChain}, rule...)...); err != nil {
			return fmt.Errorf("isolate network %q: %w", network, err)
		}
	}
	return nil
}

// removeOneByOne is remove with one checked iptables call per step.
func removeOneByOne(ctx context.Context, bridge, network string) error {
	for _, rule := range bridgeRules(bridge, network) {
		for iptables(ctx, append([]string{"-C", isolationChain}, rule...)...) == nil {
			if err := iptables(ctx, append([]string{"-D", isolationChain}, rule...)...); err != nil {
				return fmt.Errorf("remove isolation rules of network %q: %w", network, err)
			}
		}
	}
	return nil
}

// ensureIsolationChain creates the chain and puts the jump to it first in FORWARD.
func ensureIsolationChain(ctx context.Context) error {
	if iptables(ctx, "-S", isolationChain) != nil {
		if err := iptables(ctx, "-N", isolationChain); err != nil && iptables(ctx, "-S", isolationChain) != nil {
			return fmt.Errorf("create iptables chain %s: %w", isolationChain, err)
		}
	}
	out, err := iptablesOutput(ctx, "-S", "FORWARD", "1")
	if err == nil && strings.TrimSpace(out) == strings.Join(isolationJump, " ") {
		return nil
	}
	// Another lsctl may be moving the jump at the same moment: a failed -D only
	// means it is already gone, and a duplicate jump at the top is harmless.
	for i := 0; i < 8 && iptables(ctx, "-C", "FORWARD", "-j", isolationChain) == nil; i++ {
		_ = iptables(ctx, "-D", "FORWARD", "-j", isolationChain)
	}
	if err := iptables(ctx, "-I", "FORWARD", "1", "-j", isolationChain); err != nil {
		return fmt.Errorf("insert iptables jump to %s: %w", isolationChain, err)
	}
	return nil
}

// filterTable is `iptables -S` of a table (the filter table unless read by readTable),
// one rule or chain per entry, each split into its words with quotes removed.
type filterTable [][]string

func readFilterTable(ctx context.Context) (filterTable, error) { return readTable(ctx, "filter") }

// readTable reads `iptables -t table -S`.
func readTable(ctx context.Context, table string) (filterTable, error) {
	out, err := iptablesTableOutput(ctx, table, "-S")
	if err != nil {
		return nil, err
	}
	var t filterTable
	for line := range strings.Lines(out) {
		if words, ok := splitRuleLine(strings.TrimSpace(line)); ok && len(words) > 0 {
			t = append(t, words)
		}
	}
	return t, nil
}

func (t filterTable) hasChain(name string) bool {
	return t.has([]string{"-N", name})
}

func (t filterTable) has(rule []string) bool { return t.count(rule) > 0 }

func (t filterTable) count(rule []string) int {
	n := 0
	for _, r := range t {
		if slices.Equal(r, rule) {
			n++
		}
	}
	return n
}

// jumpFixes are the restore lines that make the jump to the isolation chain the first
// rule of FORWARD, exactly once; none when it already is.
func (t filterTable) jumpFixes() [][]string {
	jumps := t.count(isolationJump)
	if jumps == 1 && slices.Equal(t.firstForward(), isolationJump) {
		return nil
	}
	var fixes [][]string
	for range jumps {
		fixes = append(fixes, []string{"-D", "FORWARD", "-j", isolationChain})
	}
	return append(fixes, []string{"-I", "FORWARD", "1", "-j", isolationChain})
}

func (t filterTable) firstForward() []string {
	for _, r := range t {
		if len(r) >= 2 && r[0] == "-A" && r[1] == "FORWARD" {
			return r
		}
	}
	return nil
}

// splitRuleLine splits one line of `iptables -S` into words, honouring the double
// quotes and backslash escapes iptables uses around comments; ok is false for a line
// it cannot read (an unterminated quote).
func splitRuleLine(line string) (words []string, ok bool) {
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case ch == '"':
			quoted = !quoted
			inWord = true
		case ch == ' ' && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if quoted {
		return nil, false
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, true
}

// iptablesRestore applies lines to the filter table in one transaction, leaving the
// rest of the table as it is; no lines is nothing to do.
func iptablesRestore(ctx context.Context, lines [][]string) error {
	return restoreTable(ctx, "filter", lines)
}

// restoreTable applies lines to table in one transaction, as iptablesRestore does.
func restoreTable(ctx context.Context, table string, lines [][]string) error {
	if len(lines) == 0 {
		return nil
	}
	var script strings.Builder
	script.WriteString("*" + table + "\n")
	for _, words := range lines {
		script.WriteString(joinRuleLine(words))
		script.WriteByte('\n')
	}
	script.WriteString("COMMIT\n")
	var stderr bytes.Buffer
	err := runInOwnGroup(func() *exec.Cmd {
		stderr.Reset()
		cmd := exec.CommandContext(ctx, "iptables-restore", "-w", "--noflush")
		cmd.Stdin = strings.NewReader(script.String())
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		return cmd
	})
	if err != nil {
		return fmt.Errorf("iptables-restore: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// joinRuleLine quotes the words of a restore line that need it.
func joinRuleLine(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		if w == "" || strings.ContainsAny(w, " \"\\") {
			w = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(w) + `"`
		}
		quoted[i] = w
	}
	return strings.Join(quoted, " ")
}

// iptables runs `iptables -w -t filter ARGS...`.
func iptables(ctx context.Context, args ...string) error {
	_, err := iptablesOutput(ctx, args...)
	return err
}

func iptablesOutput(ctx context.Context, args ...string) (string, error) {
	return iptablesTableOutput(ctx, "filter", args...)
}

// iptablesTableOutput runs `iptables -w -t table ARGS...` and returns its output.
func iptablesTableOutput(ctx context.Context, table string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	err := runInOwnGroup(func() *exec.Cmd {
		stdout.Reset()
		stderr.Reset()
		cmd := exec.CommandContext(ctx, "iptables", append([]string{"-w", "-t", table}, args...)...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		return cmd
	})
	if err != nil {
		return "", fmt.Errorf("iptables %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
