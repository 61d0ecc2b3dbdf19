package actors

import (
	"context"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// newSystem creates an actor system whose own logging goes to logger at warn and above
// (protoactor logs at info by default, on stderr, in colour).
func newSystem(logger *slog.Logger) *actor.ActorSystem {
	l := slog.New(warnOnly{logger.Handler()})
	return actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return l }),
		// Dead letters are throttled by a goroutine living one interval; keep it short.
		actor.WithDeadLetterThrottleInterval(10*time.Millisecond),
	)
}

// warnOnly drops records below warn.
type warnOnly struct{ slog.Handler }

func (w warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && w.Handler.Enabled(ctx, l)
}

func (w warnOnly) WithAttrs(a []slog.Attr) slog.Handler { return warnOnly{w.Handler.WithAttrs(a)} }
func (w warnOnly) WithGroup(n string) slog.Handler      { return warnOnly{w.Handler.WithGroup(n)} }
