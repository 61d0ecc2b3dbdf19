package render

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// prefixColors are the six ANSI colours resource prefixes cycle through (docs/spec/runtime.md §16.6).
var prefixColors = []string{"\x1b[36m", "\x1b[33m", "\x1b[32m", "\x1b[35m", "\x1b[34m", "\x1b[31m"}

const colorReset = "\x1b[0m"

// IsTerminal reports whether w is a terminal device.
func IsTerminal(w io.Writer) bool {
	if u, ok := w.(unwrapper); ok {
		w = u.Unwrap()
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Colorize wraps text in the colour of index i when enabled.
func Colorize(enabled bool, i int, text string) string {
	if !enabled {
		return text
	}
	return prefixColors[i%len(prefixColors)] + text + colorReset
}

// unwrapper is an output stream wrapped around another (cli's streamWriter);
// terminal detection looks through it.
type unwrapper interface{ Unwrap() io.Writer }
