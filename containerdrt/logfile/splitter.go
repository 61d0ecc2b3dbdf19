package logfile

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf8"
)

// MaxLineSize is the longest line one record holds; longer lines are split into
// several records (docs/spec/runtime.md §10.1).
const MaxLineSize = 16 << 10

// Copy reads r until end of stream or error and writes one record per line to w on
// stream. A final unterminated line is written too. It returns nil at io.EOF and the
// read error otherwise (after writing the pending partial line). Records that cannot
// be written are dropped (Writer.Write counts them) and reading goes on: a container
// must never block on its output because the log's disk is full.
func Copy(w *Writer, stream string, r io.Reader) error {
	buf := make([]byte, 32<<10)
	var pending []byte
	for {
		n, rerr := r.Read(buf)
		pending = append(pending, buf[:n]...)
		pending = emitLines(w, stream, pending)
		if rerr != nil {
			if len(pending) > 0 {
				_ = w.Write(stream, string(pending))
			}
			if errors.Is(rerr, io.EOF) {
				return nil
			}
			return rerr
		}
	}
}

// emitLines writes every complete line of p, and 16 KiB pieces of an over-long
// unterminated line, returning what is left. A line that cannot be written is
// dropped (and counted by the Writer).
func emitLines(w *Writer, stream string, p []byte) []byte {
	for {
		i := bytes.IndexByte(p, '\n')
		if i >= 0 && i <= MaxLineSize {
			_ = w.Write(stream, string(p[:i]))
			p = p[i+1:]
			continue
		}
		if len(p) <= MaxLineSize {
			return compact(p)
		}
		cut := splitPoint(p)
		_ = w.Write(stream, string(p[:cut]))
		p = p[cut:]
	}
}

// splitPoint is where an over-long line is cut: at MaxLineSize, moved back to the start
// of a UTF-8 sequence so that a character is not broken into two U+FFFD.
func splitPoint(p []byte) int {
	cut := MaxLineSize
	for k := 0; k < utf8.UTFMax; k++ {
		if utf8.RuneStart(p[cut-k]) {
			return cut - k
		}
	}
	return cut // not UTF-8 here anyway: cut anywhere
}

// compact copies a short remainder to the front so the buffer does not grow forever.
func compact(p []byte) []byte {
	if len(p) == 0 {
		return p[:0]
	}
	return append([]byte(nil), p...)
}
