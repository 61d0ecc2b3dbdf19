package logfile

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// pollInterval is the fallback when inotify is unavailable or misses an event
// (docs/spec/runtime.md §10.2: at most once a second).
const pollInterval = time.Second

// Follow streams the records appended to path, starting at byte offset from of the
// current file (0: its beginning; negative: its current end; see ReadWithOffset). It
// survives rotation (reopen on inode change) and truncation, and waits for a file that
// does not exist yet. The channel is closed when ctx ends.
func Follow(ctx context.Context, path string, from int64) <-chan Record {
	out := make(chan Record, 64)
	go func() {
		defer close(out)
		fl := &follower{path: path, out: out}
		defer fl.close()
		fl.run(ctx, from)
	}()
	return out
}

type follower struct {
	path    string
	out     chan<- Record
	f       *os.File
	rd      *bufio.Reader
	ino     uint64
	off     int64
	partial []byte
}

func (fl *follower) run(ctx context.Context, from int64) {
	events, closeWatch := fl.watch()
	defer func() { closeWatch() }()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if fl.f == nil && fl.open(from) {
			from = 0 // later files (after rotation) are read from their start
		}
		if fl.f != nil {
			if !fl.drain(ctx) || !fl.checkRotation(ctx) {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-events:
		case <-tick.C:
			if events == nil {
				events, closeWatch = fl.watch() // the directory may exist by now
			}
		}
	}
}

// watch returns a channel woken by changes to the log file, or nil when the directory
// cannot be watched (yet); the poll covers that case.
func (fl *follower) watch() (<-chan struct{}, func()) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, func() {}
	}
	if err := w.Add(filepath.Dir(fl.path)); err != nil {
		w.Close()
		return nil, func() {}
	}
	wake := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if ev.Name == fl.path {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			case _, ok := <-w.Errors:
				if !ok {
					return
				}
			}
		}
	}()
	return wake, func() { w.Close() }
}

// open opens the current file at offset from; it reports whether a file was opened.
func (fl *follower) open(from int64) bool {
	f, err := os.Open(fl.path)
	if err != nil {
		return false
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return false
	}
	switch {
	case from < 0:
		from = st.Size()
	case from > st.Size():
		from = 0 // rotated or truncated since the offset was taken
	}
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		f.Close()
		return false
	}
	fl.f, fl.rd, fl.ino, fl.off, fl.partial = f, bufio.NewReaderSize(f, 64<<10), inode(st), from, nil
	return true
}

// drain sends every complete record available; false when ctx ended.
func (fl *follower) drain(ctx context.Context) bool {
	for {
		chunk, err := fl.rd.ReadBytes('\n')
		fl.off += int64(len(chunk))
		fl.partial = append(fl.partial, chunk...)
		if len(fl.partial) > 0 && fl.partial[len(fl.partial)-1] == '\n' {
			var rec Record
			ok := json.Unmarshal(fl.partial, &rec) == nil
			fl.partial = fl.partial[:0]
			if ok {
				select {
				case fl.out <- rec:
				case <-ctx.Done():
					return false
				}
			}
		}
		if err != nil {
			return ctx.Err() == nil
		}
	}
}

// checkRotation reopens the file when path now names another inode (after draining
// the old one) or rewinds when it was truncated; false when ctx ended.
func (fl *follower) checkRotation(ctx context.Context) bool {
	st, err := os.Stat(fl.path)
	if errors.Is(err, os.ErrNotExist) || err != nil {
		return true // mid-rotation or removed: keep the old file until a new one shows up
	}
	if inode(st) != fl.ino {
		if !fl.drain(ctx) {
			return false
		}
		fl.close()
		if fl.open(0) {
			return fl.drain(ctx)
		}
		return true
	}
	if st.Size() < fl.off {
		fl.close()
		fl.open(0)
	}
	return true
}

func (fl *follower) close() {
	if fl.f != nil {
		fl.f.Close()
		fl.f = nil
	}
}

func inode(st os.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return s.Ino
	}
	return 0
}
