package containerdrt

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// staleReadFor bounds how long the output of another process's abandoned probe is
// read on its behalf: a FIFO without a writer ends at once, so only a probe still
// writing costs this.
const staleReadFor = 2 * time.Second

// emptyExecDirAge is how old an empty exec directory must be to be removed: a live
// probe's directory is empty only for the moment between its creation and its FIFOs'.
const emptyExecDirAge = 2 * time.Second

// execIDPrefix starts every probe's exec ID; the pid of the lsctl that runs it follows,
// so that another lsctl can tell an abandoned probe from a live one.
const execIDPrefix = "probe-"

// releaseStaleExecs removes the output FIFOs of probes whose lsctl died (kill -9 in
// the middle of a probe), which nobody else would ever remove. A shim still writing
// one, or still opening its write end (that open waits for a reader), is let go on:
// the FIFO is read to its end, the output discarded, then the directory removed.
func (c *Client) releaseStaleExecs() {
	c.staleMu.Lock()
	if time.Since(c.staleSwept) < time.Second {
		c.staleMu.Unlock()
		return
	}
	c.staleSwept = time.Now()
	c.staleMu.Unlock()
	// In the background: the stop that asked goes on meanwhile, and the container's
	// exit, which a wedged shim held back, comes as soon as the shim may go on.
	go sweepExecDirs(filepath.Join(execOutputDir, c.namespace()))
}

// sweepExecDirs is releaseStaleExecs on one namespace's exec directory.
func sweepExecDirs(root string) {
	dirs, _ := filepath.Glob(filepath.Join(root, "*"))
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, dir := range dirs {
		fifos, _ := filepath.Glob(filepath.Join(dir, execIDPrefix+"*"))
		switch {
		case len(fifos) == 0 && olderThan(dir, emptyExecDirAge):
			_ = os.Remove(dir) // its FIFOs went with the exec; the directory stayed
		case len(fifos) > 0 && abandoned(filepath.Base(fifos[0])):
			wg.Go(func() { drainAbandoned(dir, fifos) })
		}
	}
}

// abandoned reports whether a FIFO belongs to a probe whose lsctl no longer runs.
func abandoned(name string) bool {
	rest, ok := strings.CutPrefix(name, execIDPrefix)
	if !ok {
		return false
	}
	pidText, _, ok := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(pidText)
	if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	return !ProcessAlive(pid)
}

// ProcessAlive reports whether pid runs: a zombie (killed, not reaped yet by whoever
// inherited it) does not.
func ProcessAlive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

// drainAbandoned keeps the FIFOs of an abandoned probe open for reading for
// staleReadFor, discarding what comes; their directory is removed at once. The reader must
// stay that long: a FIFO reads as ended both before its writer (the shim) has opened
// it and after it closed it, so only time tells the shim's blocked open to go on.
func drainAbandoned(dir string, fifos []string) {
	deadline := time.Now().Add(staleReadFor)
	var wg sync.WaitGroup
	var files []*os.File
	for _, path := range fifos {
		if f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			files = append(files, f)
		}
	}
	// The open readers keep the FIFOs alive for the shim (it reaches them through a
	// handle of its own): the directory goes now, even if this process ends first.
	_ = os.RemoveAll(dir)
	for _, f := range files { // each read to the deadline, together
		wg.Go(func() {
			defer f.Close()
			buf := make([]byte, 4096)
			for time.Now().Before(deadline) {
				_ = f.SetReadDeadline(deadline)
				n, err := f.Read(buf)
				if n == 0 && err == io.EOF {
					time.Sleep(20 * time.Millisecond) // no writer (yet, or any more)
				}
			}
		})
	}
	wg.Wait()
}

// olderThan reports whether path was last modified more than d ago.
func olderThan(path string, d time.Duration) bool {
	st, err := os.Stat(path)
	return err == nil && time.Since(st.ModTime()) > d
}
