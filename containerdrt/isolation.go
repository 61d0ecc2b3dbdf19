package containerdrt

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
)

// isolator keeps the iptables rules of project networks (docs/spec/runtime.md §5.1): the
// isolation between projects, the forwarding of a network's own traffic and its
// outbound masquerade. Tests inject a recorder.
type isolator interface {
	// ensure installs the network's rules (idempotent).
	ensure(ctx context.Context, n netRules) error
	// remove deletes the network's rules; missing rules are fine.
	remove(ctx context.Context, n netRules) error
}

// netRules names the network whose rules are meant.
type netRules struct {
	bridge  string
	network string
	subnet  netip.Prefix // invalid for a record without one: its nat rule is skipped
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

// iptablesIsolator implements the rules of each network, once per network rather than
// per container as the CNI bridge plugin's ipMasq and the firewall plugin would: a
// container's attachment then runs no iptables at all (issue 16 item 2).
//
// ensure and remove read the tables once and apply what is missing or to go in one
// iptables-restore transaction: every iptables call is a process and most are a
// kernel commit, and both sit on the critical path of up and down. When the
// transaction fails (another lsctl changed a table in between), they fall back to
// one checked call per rule.
type iptablesIsolator struct{}

// netRule is one rule of a network: table, chain and the rule's words as `iptables -S`
// prints them after `-A <chain>`.
type netRule struct {
	table, chain string
	spec         []string
}

func (r netRule) appendLine() []string { return append([]string{"-A", r.chain}, r.spec...) }
func (r netRule) deleteLine() []string { return append([]string{"-D", r.chain}, r.spec...) }

// networkRules are the rules of one network, in order:
//   - traffic that stays on the bridge is accepted (containers of a project reach each
//     other, also on hosts whose FORWARD policy is DROP);
//   - traffic from the bridge to any other lsctl bridge is dropped (projects reach
//     nothing of each other);
//   - the rest of the bridge's outbound traffic is accepted, and so are the replies
//     to it (egress on DROP-policy hosts, as the CNI firewall plugin provided);
//   - outbound traffic of the containers leaving by another interface is masqueraded,
//     multicast excepted (as the CNI bridge plugin's ipMasq did, per address); the
//     host's own packets from the gateway address (to the OTLP receiver, say) are not.
func networkRules(n netRules) []netRule {
	comment := []string{"-m", "comment", "--comment", "lsctl " + n.network}
	rule := func(table, chain string, match []string, target string) netRule {
		return netRule{table, chain, slices.Concat(match, comment, []string{"-j", target})}
	}
	rules := []netRule{
		rule("filter", isolationChain, []string{"-i", n.bridge, "-o", n.bridge}, "ACCEPT"),
		rule("filter", isolationChain, []string{"-i", n.bridge, "-o", "lsh+"}, "DROP"),
		rule("filter", isolationChain, []string{"-i", n.bridge}, "ACCEPT"),
		rule("filter", isolationChain, []string{"-o", n.bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"}, "ACCEPT"),
	}
	if n.subnet.IsValid() {
		rules = append(rules, rule("nat", "POSTROUTING",
			[]string{"-s", n.subnet.Masked().String(), "!", "-d", "224.0.0.0/4", "!", "-o", n.bridge,
				"-m", "addrtype", "!", "--src-type", "LOCAL"}, "MASQUERADE"))
	}
	return rules
}

// legacyRules are rules an earlier lsctl kept for a network, which remove also takes
// away: intra-bridge traffic returned to FORWARD, where the firewall plugin accepted it.
func legacyRules(n netRules) []netRule {
	return []netRule{{"filter", isolationChain, []string{"-i", n.bridge, "-o", n.bridge,
		"-m", "comment", "--comment", "lsctl " + n.network, "-j", "RETURN"}}}
}

func (iptablesIsolator) ensure(ctx context.Context, n netRules) error {
	if ensureBatched(ctx, n) == nil {
		return nil
	}
	return ensureOneByOne(ctx, n)
}

func (iptablesIsolator) remove(ctx context.Context, n netRules) error {
	if removeBatched(ctx, n) == nil {
		return nil
	}
	return removeOneByOne(ctx, n)
}

// ruleTables reads the tables the rules live in.
func ruleTables(ctx context.Context, rules []netRule) (map[string]filterTable, error) {
	tables := map[string]filterTable{}
	for _, r := range rules {
		if _, ok := tables[r.table]; ok {
			continue
		}
		t, err := readTable(ctx, r.table)
		if err != nil {
			return nil, err
		}
		tables[r.table] = t
	}
	return tables, nil
}

// ensureBatched is ensure as one read of each table and one transaction. It also
// takes away the rules an earlier lsctl kept for the network, which would shadow
// these: a network upgraded in place keeps working for its new containers.
func ensureBatched(ctx context.Context, n netRules) error {
	rules, legacy := networkRules(n), legacyRules(n)
	tables, err := ruleTables(ctx, append(rules, legacy...))
	if err != nil {
		return err
	}
	batch := map[string][][]string{}
	if !tables["filter"].hasChain(isolationChain) {
		batch["filter"] = append(batch["filter"], []string{":" + isolationChain, "-", "[0:0]"})
	}
	deleteCopies(batch, tables, legacy)
	for _, r := range rules {
		if !tables[r.table].has(r.appendLine()) {
			batch[r.table] = append(batch[r.table], r.appendLine())
		}
	}
	batch["filter"] = append(batch["filter"], tables["filter"].jumpFixes()...)
	return restoreTables(ctx, batch)
}

// removeBatched is remove as one read of each table and one transaction.
func removeBatched(ctx context.Context, n netRules) error {
	rules := append(networkRules(n), legacyRules(n)...)
	tables, err := ruleTables(ctx, rules)
	if err != nil {
		return err
	}
	batch := map[string][][]string{}
	deleteCopies(batch, tables, rules)
	return restoreTables(ctx, batch)
}

// deleteCopies adds to batch the deletion of every copy of rules found in tables.
func deleteCopies(batch map[string][][]string, tables map[string]filterTable, rules []netRule) {
	for _, r := range rules {
		for range tables[r.table].count(r.appendLine()) {
			batch[r.table] = append(batch[r.table], r.deleteLine())
		}
	}
}

// ensureOneByOne is ensure with one checked iptables call per step.
func ensureOneByOne(ctx context.Context, n netRules) error {
	if err := ensureIsolationChain(ctx); err != nil {
		return err
	}
	if err := removeRules(ctx, n.network, legacyRules(n)); err != nil {
		return err
	}
	for _, r := range networkRules(n) {
		if iptablesIn(ctx, r.table, append([]string{"-C", r.chain}, r.spec...)...) == nil {
			continue
		}
		if err := iptablesIn(ctx, r.table, r.appendLine()...); err != nil {
			return fmt.Errorf("set up the rules of network %q: %w", n.network, err)
		}
	}
	return nil
}

// removeOneByOne is remove with one checked iptables call per step.
func removeOneByOne(ctx context.Context, n netRules) error {
	return removeRules(ctx, n.network, append(networkRules(n), legacyRules(n)...))
}

// removeRules deletes every copy of rules, one checked call at a time.
func removeRules(ctx context.Context, network string, rules []netRule) error {
	for _, r := range rules {
		for iptablesIn(ctx, r.table, append([]string{"-C", r.chain}, r.spec...)...) == nil {
			if err := iptablesIn(ctx, r.table, r.deleteLine()...); err != nil {
				return fmt.Errorf("remove the rules of network %q: %w", network, err)
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

// restoreTable applies lines to table in one transaction, leaving the rest of the
// table as it is; no lines is nothing to do.
func restoreTable(ctx context.Context, table string, lines [][]string) error {
	return restoreTables(ctx, map[string][][]string{table: lines})
}

// restoreTables applies the lines of each table in one iptables-restore run, which
// commits each table atomically; tables without lines are left alone.
func restoreTables(ctx context.Context, lines map[string][][]string) error {
	var script strings.Builder
	for _, table := range slices.Sorted(maps.Keys(lines)) {
		if len(lines[table]) == 0 {
			continue
		}
		script.WriteString("*" + table + "\n")
		for _, words := range lines[table] {
			script.WriteString(joinRuleLine(words))
			script.WriteByte('\n')
		}
		script.WriteString("COMMIT\n")
	}
	if script.Len() == 0 {
		return nil
	}
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

// iptablesIn runs `iptables -w -t table ARGS...`.
func iptablesIn(ctx context.Context, table string, args ...string) error {
	_, err := iptablesTableOutput(ctx, table, args...)
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
