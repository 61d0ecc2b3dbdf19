package containerdrt

import (
	"context"
	"fmt"
	"io"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/fifo"
)

// outputDrainWait bounds the wait for the end of a probe's output after its exit. The
// shim closes its end of the FIFOs once the process's pipes end, which normally
// happens with the exit; a background child still holding them delays it forever.
const outputDrainWait = 250 * time.Millisecond

// execOutput captures a probe's stdout and stderr through a pair of FIFOs that the
// shim writes, keeping the first limit bytes of both together. FIFOs are read in this
// process as the shim writes them: no helper process is started per probe, which
// matters because probes run on the critical path of every dependency level.
type execOutput struct {
	fifos   *cio.FIFOSet
	readers []io.ReadCloser
	done    chan struct{} // closed once every reader reached its end
	mu      sync.Mutex
	buf     []byte
	limit   int
}

// captureOutput creates the FIFOs for exec id under dir and starts reading them.
func captureOutput(dir, id string, limit int) (*execOutput, error) {
	fifos, err := cio.NewFIFOSetInDir(dir, id, false)
	if err != nil {
		return nil, fmt.Errorf("create output FIFOs for %s in %s: %w", id, dir, err)
	}
	fifos.Stdin = "" // a probe reads no input
	o := &execOutput{fifos: fifos, done: make(chan struct{}), limit: limit}
	for _, path := range []string{fifos.Stdout, fifos.Stderr} {
		// Non-blocking: the open completes when the shim opens its end.
		r, err := fifo.OpenFifo(context.Background(), path, syscall.O_RDONLY|syscall.O_CREAT|syscall.O_NONBLOCK, 0o700)
		if err != nil {
			o.close()
			return nil, fmt.Errorf("open output FIFO %s: %w", path, err)
		}
		o.readers = append(o.readers, r)
	}
	var wg sync.WaitGroup
	for _, r := range o.readers {
		wg.Go(func() { o.drain(r) })
	}
	go func() {
		wg.Wait()
		close(o.done)
	}()
	return o, nil
}

// creator hands the FIFO paths to the shim. The IO it returns owns nothing, so the
// client's process delete, which waits on it, never waits on these readers.
func (o *execOutput) creator(string) (cio.IO, error) {
	return fifoPaths{o.fifos.Config}, nil
}

// drain reads r to its end, keeping what fits under the limit.
func (o *execOutput) drain(r io.Reader) {
	chunk := make([]byte, 4096)
	for {
		n, err := r.Read(chunk)
		if n > 0 {
			o.mu.Lock()
			if room := o.limit - len(o.buf); room > 0 {
				o.buf = append(o.buf, chunk[:min(n, room)]...)
			}
			o.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// wait waits up to d for both streams to end and reports whether they did.
func (o *execOutput) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-o.done:
		return true
	case <-t.C:
		return false
	}
}

// kept returns the output kept so far.
func (o *execOutput) kept() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.buf)
}

// close stops the readers and removes the FIFOs.
func (o *execOutput) close() {
	for _, r := range o.readers {
		_ = r.Close()
	}
	_ = o.fifos.Close()
}

// fifoPaths is a cio.IO that only names the FIFOs; execOutput does the copying.
type fifoPaths struct{ cfg cio.Config }

func (p fifoPaths) Config() cio.Config { return p.cfg }
func (fifoPaths) Cancel()              {}
func (fifoPaths) Wait()                {}
func (fifoPaths) Close() error         { return nil }
