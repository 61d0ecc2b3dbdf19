package containerdrt

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/sys/user"
)

// clockTicks is the kernel's USER_HZ, the unit of the CPU times in /proc/<pid>/stat:
// 100 on every Linux architecture lsctl runs on.
const clockTicks = 100

// Process is one process of a container (`lsctl top`).
type Process struct {
	PID     int // in the container's PID namespace
	HostPID int
	UID     int
	User    string // from the container's /etc/passwd, else the number
	CPUTime time.Duration
	Command string
}

// Processes lists the processes of the container's running task, by PID.
func (c *Client) Processes(ctx context.Context, id string) ([]Process, error) {
	task, _, err := c.loadTask(ctx, id)
	if err != nil {
		return nil, err
	}
	if task == nil {
		return nil, fmt.Errorf("processes of %s: no task: %w", id, ErrNotFound)
	}
	infos, err := task.Pids(ctx)
	if err != nil {
		return nil, c.wrapUnavailable(fmt.Errorf("processes of %s: %w", id, err))
	}
	names := passwdNames(task.Pid())
	var out []Process
	for _, info := range infos {
		p, err := readProcess(int(info.Pid))
		if err != nil {
			continue // ended since the list was made
		}
		p.User = names[p.UID]
		if p.User == "" {
			p.User = strconv.Itoa(p.UID)
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out, nil
}

// readProcess reads one process from /proc.
func readProcess(pid int) (Process, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return Process{}, err
	}
	status, err := os.Open(dir + "/status")
	if err != nil {
		return Process{}, err
	}
	defer status.Close()
	cmdline, _ := os.ReadFile(dir + "/cmdline")
	p, err := parseProcess(string(stat), status, cmdline)
	p.HostPID = pid
	return p, err
}

// parseProcess reads a process's CPU time and name from its stat line, its user and
// namespaced PID from its status file, and its command line (NUL-separated; empty for
// kernel threads and zombies, which show their name in brackets, as ps does).
func parseProcess(stat string, status io.Reader, cmdline []byte) (Process, error) {
	var p Process
	open, closing := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')')
	if open < 0 || closing < open {
		return p, fmt.Errorf("malformed stat line %q", stat)
	}
	name := stat[open+1 : closing]
	fields := strings.Fields(stat[closing+1:])
	if len(fields) < 13 { // state is field 3; utime and stime are fields 14 and 15
		return p, fmt.Errorf("malformed stat line %q", stat)
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	p.CPUTime = time.Duration(utime+stime) * time.Second / clockTicks
	sc := bufio.NewScanner(status)
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), ":")
		f := strings.Fields(value)
		switch {
		case key == "Uid" && len(f) > 0:
			p.UID, _ = strconv.Atoi(f[0])
		case key == "NSpid" && len(f) > 0:
			p.PID, _ = strconv.Atoi(f[len(f)-1])
		}
	}
	p.Command = strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
	if p.Command == "" {
		p.Command = "[" + name + "]"
	}
	return p, nil
}

// passwdNames maps the uids of the container's /etc/passwd to names.
func passwdNames(pid uint32) map[int]string {
	names := map[int]string{}
	r, done := openInContainer("/proc/"+strconv.FormatUint(uint64(pid), 10)+"/root", "/etc/passwd")
	defer done()
	if r == nil {
		return names
	}
	users, _ := user.ParsePasswd(r)
	for _, u := range users {
		if _, ok := names[u.Uid]; !ok {
			names[u.Uid] = u.Name
		}
	}
	return names
}
