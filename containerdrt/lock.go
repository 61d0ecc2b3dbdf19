package containerdrt

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lightshuttle/lsctl/plan"
)

// ProjectLock is a held project lock (docs/spec/runtime.md §12.9): an flock on
// <data-root>/projects/<project>/lock whose content names the holder.
type ProjectLock struct {
	f    *os.File
	once sync.Once
}

// BusyError reports that another lsctl command holds a project's lock.
type BusyError struct {
	Project string
	PID     int
	Command string
}

// Error returns `project "<p>" is busy: lsctl <command> (pid <n>) is running`.
func (e *BusyError) Error() string {
	return fmt.Sprintf("project %q is busy: lsctl %s (pid %d) is running", e.Project, e.Command, e.PID)
}

// lockHolder is the content of a project lock file.
type lockHolder struct {
	PID       int    `json:"pid"`
	Command   string `json:"command"`
	StartedAt string `json:"started_at"`
}

// tsFormat is the spec's timestamp format: RFC 3339, UTC, nine fractional digits.
const tsFormat = "2006-01-02T15:04:05.000000000Z07:00"

// LockProject takes the project lock without waiting. When another process holds it,
// the error is a *BusyError naming that process.
func LockProject(dataRoot, project, command string) (*ProjectLock, error) {
	dir := plan.ProjectDir(dataRoot, project)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create project directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open project lock %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			pid, cmd, _ := ReadProjectLock(dataRoot, project)
			return nil, &BusyError{Project: project, PID: pid, Command: cmd}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !samePath(f, path) {
		// `down --volumes` removed the project directory, lock file included, between
		// our open and our flock: this lock guards nothing. Take the new one.
		f.Close()
		return LockProject(dataRoot, project, command)
	}
	holder, _ := json.Marshal(lockHolder{PID: os.Getpid(), Command: command, StartedAt: time.Now().UTC().Format(tsFormat)})
	// The file is rewritten in place: readers open it without the lock and must never
	// see it vanish.
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt(holder, 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("write project lock %s: %w", path, err)
	}
	return &ProjectLock{f: f}, nil
}

// samePath reports whether path still names the file f has open.
func samePath(f *os.File, path string) bool {
	var held, named unix.Stat_t
	if unix.Fstat(int(f.Fd()), &held) != nil || unix.Stat(path, &named) != nil {
		return false
	}
	return held.Dev == named.Dev && held.Ino == named.Ino
}

// RemoveProjectDir deletes the whole project directory, lock file included, while
// the lock is held: `down --volumes` leaves nothing of a project behind. A process
// that opened the old lock file notices (LockProject compares the file it locked with
// the path) and takes a new one.
func (l *ProjectLock) RemoveProjectDir() error {
	dir := filepath.Dir(l.f.Name())
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove project directory %s: %w", dir, err)
	}
	return nil
}

// Release drops the lock. The file stays unless RemoveProjectDir removed it; a waiter
// that opened it meanwhile retries on the new file. Calling Release twice is harmless.
func (l *ProjectLock) Release() error {
	var err error
	l.once.Do(func() {
		_ = l.f.Truncate(0)
		err = l.f.Close() // closing the descriptor releases the flock
	})
	return err
}

// ReadProjectLock reports who holds the project lock. held is false when nobody does;
// pid and command come from the file and may be zero/empty when it is unreadable.
func ReadProjectLock(dataRoot, project string) (pid int, command string, held bool) {
	path := filepath.Join(plan.ProjectDir(dataRoot, project), "lock")
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, "", false
	}
	defer f.Close()
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
		return 0, "", false // nobody holds it; closing f releases our probe
	}
	var h lockHolder
	data, _ := os.ReadFile(path)
	_ = json.Unmarshal(data, &h)
	return h.PID, h.Command, true
}

// dataRootLocks counts this process's holds of each data-root lock. The flock is
// per open file, so a second flock from the same process would deadlock; nested
// holders (port preflight held by up while Prepare creates a volume) share one.
var dataRootLocks = struct {
	sync.Mutex
	held map[string]*dataRootHold
}{held: map[string]*dataRootHold{}}

type dataRootHold struct {
	f     *os.File
	count int
}

// lockDataRoot takes the data-root-wide lock (docs/spec/runtime.md §12.9) that serialises
// cross-project allocations: subnets, host ports and volume creation. It waits for
// other processes; within this process it is re-entrant. unlock must be called once.
func lockDataRoot(dataRoot string) (unlock func(), err error) {
	if dataRoot == "" {
		dataRoot = DefaultDataRoot
	}
	dataRootLocks.Lock()
	defer dataRootLocks.Unlock()
	if h := dataRootLocks.held[dataRoot]; h != nil {
		h.count++
		return releaseDataRootOnce(dataRoot), nil
	}
	if err := os.MkdirAll(dataRoot, 0o700); err != nil {
		return nil, fmt.Errorf("create data root %s: %w", dataRoot, err)
	}
	path := filepath.Join(dataRoot, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open data-root lock %s: %w", path, err)
	}
	// Blocking while holding the in-process mutex is deliberate: other goroutines of
	// this process must wait for the same lock anyway.
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	dataRootLocks.held[dataRoot] = &dataRootHold{f: f, count: 1}
	return releaseDataRootOnce(dataRoot), nil
}

// releaseDataRootOnce returns an unlock function that drops one hold, at most once.
func releaseDataRootOnce(dataRoot string) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			dataRootLocks.Lock()
			defer dataRootLocks.Unlock()
			h := dataRootLocks.held[dataRoot]
			if h == nil {
				return
			}
			if h.count--; h.count == 0 {
				delete(dataRootLocks.held, dataRoot)
				h.f.Close()
			}
		})
	}
}

// LockDataRoot takes the data-root-wide allocation lock for callers outside this
// package: `up` holds it from PreflightPorts until the containers holding those
// ports exist (docs/spec/runtime.md §12.9). It is re-entrant within the process.
func (c *Client) LockDataRoot() (unlock func(), err error) {
	return lockDataRoot(c.opts.DataRoot)
}
