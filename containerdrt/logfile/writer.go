package logfile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// MaxFileSize is the size a log file never exceeds: the write that would exceed it
// rotates first (runtime.md §10.1).
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
// split long lines (see Splitter).
func (w *Writer) Write(stream, line string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("write log %s: writer closed", w.path)
	}
	rec := Record{TS: w.now(), Stream: stream, Line: strings.ToValidUTF8(line, "\uFFFD")}
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
	w.size += int64(n)
	if err != nil {
		return fmt.Errorf("write log %s: %w", w.path, err)
	}
	return nil
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
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
