package containerdrt

import (
	"bytes"
	"strings"

	bkclient "github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// buildTailLines is how many lines of a failing step's output are kept (docs/spec/runtime.md §9.7).
const buildTailLines = 20

// BuildError is a failed image build: the failing step's message and the last lines of
// its output. Error() holds the message only; the caller prints LastLines below it.
type BuildError struct {
	Message   string
	LastLines []string
}

func (e *BuildError) Error() string { return "image build failed: " + e.Message }

// stepTracker turns BuildKit's status stream into "build-step" progress (one per
// completed vertex) and keeps the tail of each vertex's output for error reports.
type stepTracker struct {
	p      Progress
	ref    string
	names  map[digest.Digest]string
	done   map[digest.Digest]bool
	logs   map[digest.Digest]*lineTail
	failed digest.Digest // first vertex that failed for its own reason
	errMsg string
}

func newStepTracker(p Progress, ref string) *stepTracker {
	return &stepTracker{p: p, ref: ref, names: map[digest.Digest]string{},
		done: map[digest.Digest]bool{}, logs: map[digest.Digest]*lineTail{}}
}

// consume reads ch until it is closed.
func (t *stepTracker) consume(ch <-chan *bkclient.SolveStatus) {
	for st := range ch {
		t.update(st)
	}
}

// update applies one status message.
func (t *stepTracker) update(st *bkclient.SolveStatus) {
	for _, l := range st.Logs {
		lt := t.logs[l.Vertex]
		if lt == nil {
			lt = &lineTail{max: buildTailLines}
			t.logs[l.Vertex] = lt
		}
		lt.write(l.Data)
	}
	for _, v := range st.Vertexes {
		if v.Name != "" {
			t.names[v.Digest] = v.Name
		}
		if v.Error != "" && t.failed == "" && !isCancelError(v.Error) {
			t.failed, t.errMsg = v.Digest, v.Error
		}
		if v.Completed != nil && v.Error == "" && !t.done[v.Digest] {
			t.done[v.Digest] = true
			report(t.p, ProgressUpdate{Phase: PhaseBuildStep, Ref: t.ref, Message: t.names[v.Digest]})
		}
	}
}

// isCancelError tells vertices stopped because another one failed.
func isCancelError(msg string) bool {
	return strings.Contains(msg, "context canceled")
}

// buildError builds the error for a failed solve: the failing vertex's message and
// output when BuildKit reported one, else the solve error itself.
func (t *stepTracker) buildError(solveErr error) *BuildError {
	msg := t.errMsg
	if msg == "" {
		msg = strings.TrimPrefix(solveErr.Error(), "failed to solve: ")
	}
	e := &BuildError{Message: msg}
	if lt := t.logs[t.failed]; t.failed != "" && lt != nil {
		e.LastLines = lt.lines()
	}
	return e
}

// lineTail keeps the last max lines written to it, and the unterminated rest.
type lineTail struct {
	max     int
	full    []string
	partial []byte
}

func (lt *lineTail) write(b []byte) {
	b = append(lt.partial, b...)
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		lt.full = append(lt.full, strings.TrimSuffix(string(b[:i]), "\r"))
		b = b[i+1:]
	}
	lt.partial = append([]byte(nil), b...)
	if over := len(lt.full) - lt.max; over > 0 {
		lt.full = append([]string(nil), lt.full[over:]...)
	}
}

// lines returns the last max lines, counting an unterminated last line.
func (lt *lineTail) lines() []string {
	out := append([]string(nil), lt.full...)
	if len(lt.partial) > 0 {
		out = append(out, string(lt.partial))
	}
	if over := len(out) - lt.max; over > 0 {
		out = out[over:]
	}
	return out
}
