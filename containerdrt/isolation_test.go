package containerdrt

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestSplitRuleLine(t *testing.T) {
	tests := []struct {
		line string
		want []string
		ok   bool
	}{
		{`-A LSCTL-ISOLATION -i lsh-1 -o lsh+ -m comment --comment "lsctl lightshuttle-shop" -j DROP`,
			[]string{"-A", "LSCTL-ISOLATION", "-i", "lsh-1", "-o", "lsh+", "-m", "comment", "--comment", "lsctl lightshuttle-shop", "-j", "DROP"}, true},
		{`-N LSCTL-ISOLATION`, []string{"-N", "LSCTL-ISOLATION"}, true},
		{`-A X -m comment --comment "say \"hi\" \\ there" -j RETURN`,
			[]string{"-A", "X", "-m", "comment", "--comment", `say "hi" \ there`, "-j", "RETURN"}, true},
		{`-A X  -j   RETURN `, []string{"-A", "X", "-j", "RETURN"}, true},
		{`-A X --comment "unterminated`, nil, false},
	}
	for _, tc := range tests {
		got, ok := splitRuleLine(tc.line)
		if ok != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("splitRuleLine(%q) = %q, %v; want %q, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func TestJoinRuleLineRoundTrips(t *testing.T) {
	for _, words := range [][]string{
		networkRules(netRules{bridge: "lsh-12345678", network: "lightshuttle-shop"})[0].appendLine(),
		{"-A", "X", "--comment", `a "quoted" \ word`, "-j", "RETURN"},
		{":LSCTL-ISOLATION", "-", "[0:0]"},
	} {
		got, ok := splitRuleLine(joinRuleLine(words))
		if !ok || !slices.Equal(got, words) {
			t.Errorf("round trip of %q gave %q (%v)", words, got, ok)
		}
	}
}

func TestJumpFixes(t *testing.T) {
	jump := "-A FORWARD -j " + isolationChain
	other := `-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD`
	fixDelete := "-D FORWARD -j " + isolationChain
	fixInsert := "-I FORWARD 1 -j " + isolationChain
	tests := []struct {
		name  string
		lines []string
		want  []string
	}{
		{"first and once", []string{"-P FORWARD ACCEPT", jump, other}, nil},
		{"missing", []string{"-P FORWARD ACCEPT", other}, []string{fixInsert}},
		{"behind the firewall plugin", []string{other, jump}, []string{fixDelete, fixInsert}},
		{"twice", []string{jump, other, jump}, []string{fixDelete, fixDelete, fixInsert}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var table filterTable
			for _, l := range tc.lines {
				words, _ := splitRuleLine(l)
				table = append(table, words)
			}
			var got []string
			for _, fix := range table.jumpFixes() {
				got = append(got, strings.Join(fix, " "))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("jumpFixes = %q, want %q", got, tc.want)
			}
		})
	}
}

// docs/spec/runtime.md §5.1 on the real host: ensure installs each rule of a network once
// however often it runs (filter and nat), with the jump first in FORWARD, and remove
// takes them all away (also duplicates, and the intra-bridge RETURN rule an earlier
// lsctl kept), in the batched and the one-by-one paths.
func TestIsolationRulesLive(t *testing.T) {
	if os.Geteuid() != 0 {
		skipUnlessRequired(t, "needs root")
	}
	for _, tool := range []string{"iptables", "iptables-restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipUnlessRequired(t, tool+" not installed")
		}
	}
	ctx := context.Background()
	bridge := fmt.Sprintf("lsh-t%07d", os.Getpid()%10000000)
	n := netRules{bridge: bridge, network: "lightshuttle-isolation-test-" + bridge,
		subnet: netip.MustParsePrefix("10.254.253.0/24")}
	t.Cleanup(func() { _ = removeOneByOne(context.Background(), n) })
	all := append(networkRules(n), legacyRules(n)...)
	countRules := func() int {
		tables, err := ruleTables(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		count := 0
		for _, r := range all {
			count += tables[r.table].count(r.appendLine())
		}
		if !slices.Equal(tables["filter"].firstForward(), isolationJump) || tables["filter"].count(isolationJump) != 1 {
			t.Errorf("FORWARD does not start with a single jump to %s", isolationChain)
		}
		return count
	}
	for range 2 {
		if err := ensureBatched(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := countRules(), len(networkRules(n)); got != want {
		t.Fatalf("after ensure twice: %d rules of %s, want %d", got, bridge, want)
	}
	// A duplicate, as a crash between two one-by-one steps could leave, and the rule
	// an earlier lsctl kept.
	for _, r := range []netRule{networkRules(n)[4], legacyRules(n)[0]} {
		if err := iptablesIn(ctx, r.table, r.appendLine()...); err != nil {
			t.Fatal(err)
		}
	}
	if err := removeBatched(ctx, n); err != nil {
		t.Fatal(err)
	}
	if got := countRules(); got != 0 {
		t.Fatalf("after remove: %d rules of %s left", got, bridge)
	}
	// A network an earlier lsctl set up: its rule for traffic on the bridge would
	// shadow the new ones, so ensure takes it away, in both paths.
	legacy := legacyRules(n)[0]
	for _, ensure := range []func(context.Context, netRules) error{ensureBatched, ensureOneByOne} {
		if err := iptablesIn(ctx, legacy.table, legacy.appendLine()...); err != nil {
			t.Fatal(err)
		}
		if err := ensure(ctx, n); err != nil {
			t.Fatal(err)
		}
		if got, want := countRules(), len(networkRules(n)); got != want {
			t.Fatalf("ensure over an earlier lsctl's rules: %d rules of %s, want %d", got, bridge, want)
		}
	}
	if err := removeOneByOne(ctx, n); err != nil {
		t.Fatal(err)
	}
	if got := countRules(); got != 0 {
		t.Fatalf("one by one: %d rules of %s left", got, bridge)
	}
}

// The bridge plugin's NAT of one attachment is found by its comment, and nothing of
// another container's or another network's is touched.
func TestMasqueradeRemoval(t *testing.T) {
	var table filterTable
	for _, line := range []string{
		`-N CNI-aaa`, `-N CNI-bbb`,
		`-A POSTROUTING -s 10.1.0.2/32 -m comment --comment "name: \"lightshuttle-shop\" id: \"shop_db\"" -j CNI-aaa`,
		`-A POSTROUTING -s 10.1.0.3/32 -m comment --comment "name: \"lightshuttle-shop\" id: \"shop_db2\"" -j CNI-bbb`,
		`-A CNI-aaa -d 10.1.0.0/24 -m comment --comment "name: \"lightshuttle-shop\" id: \"shop_db\"" -j ACCEPT`,
	} {
		words, ok := splitRuleLine(line)
		if !ok {
			t.Fatalf("cannot split %s", line)
		}
		table = append(table, words)
	}
	got := table.masqueradeRemoval("lightshuttle-shop", "shop_db")
	want := [][]string{
		{"-D", "POSTROUTING", "-s", "10.1.0.2/32", "-m", "comment", "--comment", `name: "lightshuttle-shop" id: "shop_db"`, "-j", "CNI-aaa"},
		{"-F", "CNI-aaa"}, {"-X", "CNI-aaa"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("removal lines\n got %q\nwant %q", got, want)
	}
	if got := table.masqueradeRemoval("lightshuttle-other", "shop_db"); len(got) != 0 {
		t.Errorf("another network's attachment: %q", got)
	}
}
