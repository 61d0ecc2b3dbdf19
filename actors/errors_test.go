package actors

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lightshuttle/lsctl/containerdrt"
	"github.com/lightshuttle/lsctl/containerdrt/fakert"
)

// secretCause is a typed runtime error whose text holds a secret.
type secretCause struct{ detail string }

func (e *secretCause) Error() string { return "pull failed: " + e.detail }

// The runtime's error behind a failed startup survives the actor boundary for
// errors.Is and errors.As, while the StartupError's own text stays redacted.
func TestStartupErrorWrapsRedactedCause(t *testing.T) {
	cause := &secretCause{detail: "token hunter2"}
	b := newPlan("shop")
	b.add("db")
	rt := fakert.New()
	rt.Set("db", fakert.Behavior{ImageErr: fmt.Errorf("image: %w", errors.Join(cause, containerdrt.ErrUnavailable))})
	o := fast()
	o.Redact = func(s string) string { return strings.ReplaceAll(s, "hunter2", "<redacted>") }
	s := startStack(t, b.p, rt, o)
	err := s.waitReady(5 * time.Second)
	var se *StartupError
	if !errors.As(err, &se) || se.Resource != "db" {
		t.Fatalf("WaitReady = %v, want a StartupError for db", err)
	}
	var got *secretCause
	if !errors.As(err, &got) || got != cause {
		t.Errorf("errors.As does not reach the runtime's error through %v", err)
	}
	if !errors.Is(err, containerdrt.ErrUnavailable) {
		t.Errorf("errors.Is(ErrUnavailable) is false through %v", err)
	}
	if strings.Contains(se.Error(), "hunter2") || !strings.Contains(se.Error(), "token <redacted>") {
		t.Errorf("message %q, want it redacted", se.Error())
	}
	if msg := fmt.Sprintf("%v %+v %s", err, err, err); strings.Contains(msg, "hunter2") {
		t.Errorf("formatting the error prints the secret: %q", msg)
	}
	s.waitDone(5 * time.Second)
}

// A startup failure without a runtime error (an exit, a deadline) wraps nothing.
func TestStartupErrorWithoutCause(t *testing.T) {
	e := &StartupError{Resource: "db", Reason: "exited with code 1 before becoming ready"}
	if errors.Unwrap(e) != nil {
		t.Fatalf("Unwrap = %v, want nil", errors.Unwrap(e))
	}
	if e.Error() != `startup failed: resource "db": exited with code 1 before becoming ready` {
		t.Fatalf("Error = %q", e.Error())
	}
}
