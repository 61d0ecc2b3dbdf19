// Package render is lsctl's terminal output: the plain lines of up's events and image
// progress, up's live table, line printers safe for concurrent goroutines, aligned
// tables, diagnostics and the validate report, prefix colours, JSON for --json
// output, and terminal detection, size and raw mode.
package render
