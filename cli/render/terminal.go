package render

import (
	"fmt"
	"os"

	"golang.org/x/term"
)

// TerminalFile returns the terminal device behind a stream, or nil when the stream is
// not a terminal.
func TerminalFile(stream any) *os.File {
	if u, ok := stream.(unwrapper); ok {
		stream = u.Unwrap()
	}
	f, ok := stream.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return f
}

// TerminalSize is the size of the first terminal among files (0, 0 when none tells).
func TerminalSize(files ...*os.File) (width, height uint16) {
	for _, f := range files {
		if f == nil {
			continue
		}
		if w, h, err := term.GetSize(int(f.Fd())); err == nil && w > 0 && h > 0 {
			return uint16(min(w, 65535)), uint16(min(h, 65535))
		}
	}
	return 0, 0
}

// RawMode puts the terminal in raw mode, so that every key (Ctrl-C included) reaches
// the program in the container, whose own terminal interprets it; restore undoes it.
func RawMode(f *os.File) (restore func(), err error) {
	state, err := term.MakeRaw(int(f.Fd()))
	if err != nil {
		return nil, fmt.Errorf("put the terminal in raw mode: %w", err)
	}
	return func() { _ = term.Restore(int(f.Fd()), state) }, nil
}
