package cli

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// prefixColors are the six ANSI colours resource prefixes cycle through (docs/spec/runtime.md §16.6).
var prefixColors = []string{"\x1b[36m", "\x1b[33m", "\x1b[32m", "\x1b[35m", "\x1b[34m", "\x1b[31m"}

const colorReset = "\x1b[0m"

// useColor reports whether output to w may be coloured: a terminal, and neither
// --no-color nor NO_COLOR (docs/spec/runtime.md §16.2).
func (s *session) useColor(w io.Writer) bool {
	if s.opts.NoColor {
		return false
	}
	return isTerminal(w)
}

// isTerminal reports whether w is a terminal device.
func isTerminal(w io.Writer) bool {
	if sw, ok := w.(*streamWriter); ok {
		w = sw.w
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// colorize wraps text in the colour of index i when enabled.
func colorize(enabled bool, i int, text string) string {
	if !enabled {
		return text
	}
	return prefixColors[i%len(prefixColors)] + text + colorReset
}
