package render

import (
	"fmt"
	"io"
	"sync"
)

// LinePrinter serialises whole lines from concurrent goroutines onto one writer. A
// printer with a log also keeps every Printf line there (up's state lines); the raw
// Write and Screenf, for redraws and container log lines, go to the writer only.
type LinePrinter struct {
	mu  sync.Mutex
	w   io.Writer
	log io.Writer // may be nil
}

// NewLinePrinter prints to w and, when log is not nil, keeps Printf lines in log.
func NewLinePrinter(w, log io.Writer) *LinePrinter { return &LinePrinter{w: w, log: log} }

// Printf prints a line and keeps it in the log.
func (p *LinePrinter) Printf(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := fmt.Sprintf(format+"\n", a...)
	_, _ = io.WriteString(p.w, line)
	p.logLine(line)
}

// Screenf prints a line that is not kept in the log.
func (p *LinePrinter) Screenf(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", a...)
}

// Logf keeps a line in the log only (a state shown in the live table instead).
func (p *LinePrinter) Logf(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.logLine(fmt.Sprintf(format+"\n", a...))
}

func (p *LinePrinter) logLine(line string) {
	if p.log != nil {
		_, _ = io.WriteString(p.log, line)
	}
}

// Write writes p whole under the lock, so redraws never interleave with lines.
func (p *LinePrinter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.w.Write(b)
}
