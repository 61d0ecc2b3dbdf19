package containerdrt

import (
	"strings"
	"testing"
	"time"
)

// Issue 13 (lsctl top): a process's CPU time, user, namespaced PID and command from
// /proc, names with spaces and parentheses included.
func TestParseProcess(t *testing.T) {
	stat := "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 300 0 0 0 250 130 0 0 20 0 1 0 100 0 0"
	status := "Name:\tmy (odd) name\nUid:\t70\t70\t70\t70\nGid:\t70\t70\t70\t70\nNSpid:\t4242\t7\n"
	p, err := parseProcess(stat, strings.NewReader(status), []byte("postgres\x00-c\x00fsync=off\x00"))
	if err != nil {
		t.Fatal(err)
	}
	if p.PID != 7 || p.UID != 70 || p.CPUTime != 3800*time.Millisecond || p.Command != "postgres -c fsync=off" {
		t.Errorf("got %+v", p)
	}
	p, err = parseProcess("9 (kworker/0:1) I 2 0 0 0 -1 0 0 0 0 0 0 0 0 0", strings.NewReader("Uid:\t0\t0\t0\t0\n"), nil)
	if err != nil || p.Command != "[kworker/0:1]" || p.PID != 0 {
		t.Errorf("kernel thread: %+v %v", p, err)
	}
	if _, err := parseProcess("garbage", strings.NewReader(""), nil); err == nil {
		t.Error("a malformed stat line parsed")
	}
}
