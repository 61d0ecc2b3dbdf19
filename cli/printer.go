package cli

import (
	"fmt"
	"io"
	"sync"
)

// linePrinter serialises whole lines from concurrent goroutines onto one writer.
type linePrinter struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *linePrinter) printf(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", a...)
}

// Write writes p whole under the lock, so redraws never interleave with lines.
func (p *linePrinter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.w.Write(b)
}
