package cli

import (
	"fmt"
	"io"
	"sync"
)

// linePrinter serialises whole lines from concurrent goroutines onto one writer. A
// printer with a log also keeps every printf line there (up's state lines); the raw
// Write and screenf, for redraws and container log lines, go to the writer only.
type linePrinter struct {
	mu  sync.Mutex
	w   io.Writer
	log io.Writer // may be nil
}

func (p *linePrinter) printf(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := fmt.Sprintf(format+"\n", a...)
	_, _ = io.WriteString(p.w, line)
	p.logLine(line)
}

// screenf prints a line that is not kept in the log.
func (p *linePrinter) screenf(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", a...)
}

// logf keeps a line in the log only (a state shown in the live table instead).
func (p *linePrinter) logf(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.logLine(fmt.Sprintf(format+"\n", a...))
}

func (p *linePrinter) logLine(line string) {
	if p.log != nil {
		_, _ = io.WriteString(p.log, line)
	}
}

// Write writes p whole under the lock, so redraws never interleave with lines.
func (p *linePrinter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.w.Write(b)
}
