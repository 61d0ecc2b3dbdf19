package logfile

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Files returns the log files of path, oldest first: .log.2, .log.1, .log.
func Files(path string) []string {
	return []string{path + ".2", path + ".1", path}
}

// Read returns the records of path and its rotated files, oldest first. tail < 0 returns
// everything; otherwise the last tail records counted across the files. A missing file
// is empty; a malformed line (a torn write) is skipped.
func Read(path string, tail int) ([]Record, error) {
	recs, _, err := ReadWithOffset(path, tail)
	return recs, err
}

// ReadWithOffset is Read that also returns the byte offset in the current file after
// the last complete line read, for Follow to continue from without loss or repeat.
func ReadWithOffset(path string, tail int) ([]Record, int64, error) {
	ring := newTail(tail)
	var offset int64
	for _, name := range Files(path) {
		n, err := readFile(name, ring.add)
		if err != nil {
			return nil, 0, err
		}
		offset = n
	}
	return ring.records(), offset, nil
}

// readFile calls fn for each complete record line of name and returns the offset
// after the last complete line.
func readFile(name string, fn func(Record)) (int64, error) {
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read log: %w", err)
	}
	defer f.Close()
	return scanRecords(bufio.NewReaderSize(f, 64<<10), fn)
}

// scanRecords decodes newline-terminated records from r; an unterminated tail is not
// consumed (it may still be being written).
func scanRecords(r *bufio.Reader, fn func(Record)) (int64, error) {
	var off int64
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			off += int64(len(line))
			var rec Record
			if json.Unmarshal(line, &rec) == nil {
				fn(rec)
			}
		}
		if errors.Is(err, io.EOF) {
			return off, nil
		}
		if err != nil {
			return off, fmt.Errorf("read log: %w", err)
		}
	}
}

// tailRing keeps the last n records (all when n < 0).
type tailRing struct {
	n    int
	buf  []Record
	next int
	full bool
}

func newTail(n int) *tailRing { return &tailRing{n: n} }

func (t *tailRing) add(r Record) {
	switch {
	case t.n < 0:
		t.buf = append(t.buf, r)
	case t.n == 0:
	case len(t.buf) < t.n:
		t.buf = append(t.buf, r)
	default:
		t.buf[t.next] = r
		t.next = (t.next + 1) % t.n
		t.full = true
	}
}

func (t *tailRing) records() []Record {
	if !t.full {
		return t.buf
	}
	out := make([]Record, 0, len(t.buf))
	out = append(out, t.buf[t.next:]...)
	return append(out, t.buf[:t.next]...)
}
