package logfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// MaxFileSize is the size a log file never exceeds: the write that would exceed it
// rotates first (docs/spec/runtime.md §10.1).
const MaxFileSize = 10 << 20

// Writer appends records to a log file, rotating it. It is safe for concurrent use;
// records are serialised per line.
type Writer struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	size    int64
	maxSize int64
	now     func() time.Time
	dropped *droppedFile
	// lost is how many records were dropped since the last one written; the first
	// record that can be written again is preceded by a line that says so.
	lost   int64
	cause  string // why the last record was dropped
	closed bool
}

// Open opens (creating it and its directory if needed) the log file at path for
// appending.
func Open(path string) (*Writer, error) {
	return openWriter(path, MaxFileSize, time.Now)
}

func openWriter(path string, maxSize int64, now func() time.Time) (*Writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create log directory for %s: %w", path, err)
	}
	w := &Writer{path: path, maxSize: maxSize, now: now}
	if err := w.openCurrent(); err != nil {
		return nil, err
	}
	w.dropped = openDropped(path)
	return w, nil
}

func (w *Writer) openCurrent() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat log file: %w", err)
	}
	w.f, w.size = f, st.Size()
	return nil
}

// Write appends one record for line on stream, stamped with the current time. The
// line must not contain the newline; invalid UTF-8 is replaced by U+FFFD. Callers
// split long lines (see Splitter). A record that cannot be written (a full disk) is
// dropped and counted in the .dropped file, and the error returned; the file never
// keeps half a record.
func (w *Writer) Write(stream, line string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("write log %s: writer closed", w.path)
	}
	now := w.now()
	if w.f == nil { // a rotation could not open the new file (no inode left, say)
		if err := w.openCurrent(); err != nil {
			return w.drop(now, err)
		}
	}
	if w.lost > 0 {
		note := fmt.Sprintf("lsctl: %d log line(s) were dropped here: %s", w.lost, w.cause)
		if err := w.append(Record{TS: now, Stream: Stderr, Line: note}); err != nil {
			return w.drop(now, err)
		}
		w.lost = 0
	}
	if err := w.append(Record{TS: now, Stream: stream, Line: strings.ToValidUTF8(line, "\uFFFD")}); err != nil {
		return w.drop(now, err)
	}
	return nil
}

// append writes one encoded record, rotating first when it would not fit; a failed
// write is cut back off so the next record starts on a line of its own.
func (w *Writer) append(rec Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode log record: %w", err)
	}
	b = append(b, '\n')
	if w.size > 0 && w.size+int64(len(b)) > w.maxSize {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	n, err := w.f.Write(b)
	if err != nil {
		if n > 0 {
			_ = w.f.Truncate(w.size)
		}
		return fmt.Errorf("write log %s: %w", w.path, errors.Unwrap(err))
	}
	w.size += int64(n)
	return nil
}

// drop counts a record that could not be written.
func (w *Writer) drop(now time.Time, err error) error {
	w.lost++
	w.cause = err.Error()
	if cause := errors.Unwrap(err); cause != nil {
		w.cause = cause.Error() // the path is the log's own: said once, by the note's place
	}
	w.dropped.add(now, err)
	return err
}

// rotate shifts .log.1 to .log.2 and .log to .log.1, then starts a new .log.
func (w *Writer) rotate() error {
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("close log for rotation: %w", err)
	}
	w.f = nil
	if err := os.Rename(w.path+".1", w.path+".2"); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("rotate log: %w", err)
	}
	if err := os.Rename(w.path, w.path+".1"); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("rotate log: %w", err)
	}
	return w.openCurrent()
}

// Close closes the file. Further writes fail.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	w.dropped.close(w.now())
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
