package logfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// droppedSize is the size of the .dropped file, allocated when the log opens so that
// rewriting it in place never needs a free block: it must be writable when the disk
// is full, which is when it has something to say.
const droppedSize = 512

// droppedEvery bounds how often the .dropped file is rewritten during a flood.
const droppedEvery = time.Second

// Dropped is what a log driver could not write: records lost since Since because
// writing them failed with Error (a full disk, an I/O error). The container never
// waits for the disk; its lines are dropped instead and counted here.
type Dropped struct {
	Count int64     `json:"dropped"`
	Since time.Time `json:"since"`
	Error string    `json:"error"`
}

// DroppedPath is the file beside a log that counts its dropped records.
func DroppedPath(logPath string) string { return logPath + ".dropped" }

// ReadDropped reads a log's dropped-records count; a missing or empty file is zero.
func ReadDropped(logPath string) (Dropped, error) {
	var d Dropped
	data, err := os.ReadFile(DroppedPath(logPath))
	if errors.Is(err, os.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return d, err
	}
	data = bytes.TrimRight(data, " \n\x00")
	if len(data) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return d, fmt.Errorf("read %s: %w", DroppedPath(logPath), err)
	}
	return d, nil
}

// droppedFile is the writer's side of the .dropped file.
type droppedFile struct {
	f       *os.File // nil when it could not be created: counting goes on in memory
	d       Dropped
	flushed time.Time
	dirty   bool
}

// openDropped opens the .dropped file and allocates its blocks, keeping an earlier
// count (a driver restarted for the same log goes on counting).
func openDropped(logPath string) *droppedFile {
	df := &droppedFile{}
	df.d, _ = ReadDropped(logPath)
	f, err := os.OpenFile(DroppedPath(logPath), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return df
	}
	_ = unix.Fallocate(int(f.Fd()), 0, 0, droppedSize)
	df.f = f
	return df
}

// add counts one dropped record and writes the count at most once per droppedEvery.
func (df *droppedFile) add(now time.Time, err error) {
	if df.d.Count == 0 || df.d.Since.IsZero() {
		df.d.Since = now
	}
	df.d.Count++
	df.d.Error = err.Error()
	df.dirty = true
	if now.Sub(df.flushed) >= droppedEvery {
		df.flush(now)
	}
}

// flush rewrites the file in place, padded to its allocated size.
func (df *droppedFile) flush(now time.Time) {
	if df.f == nil || !df.dirty {
		return
	}
	data, _ := json.Marshal(df.d)
	if len(data) >= droppedSize { // an error message that long is cut, never the count
		df.d.Error = df.d.Error[:max(0, len(df.d.Error)-(len(data)-droppedSize+1))]
		data, _ = json.Marshal(df.d)
	}
	buf := bytes.Repeat([]byte{' '}, droppedSize)
	copy(buf, data)
	buf[droppedSize-1] = '\n'
	if _, err := df.f.WriteAt(buf, 0); err == nil {
		df.flushed, df.dirty = now, false
	}
}

func (df *droppedFile) close(now time.Time) {
	if df.f != nil {
		df.flush(now)
		df.f.Close()
	}
}
