package turn

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// levelTrace is the slog level pion's Trace messages are logged at: below
// Debug, so they only show with a handler explicitly set that low.
const levelTrace = slog.LevelDebug - 4

// slogFactory adapts a *slog.Logger to pion's logging.LoggerFactory.
type slogFactory struct{ l *slog.Logger }

func (f slogFactory) NewLogger(scope string) logging.LeveledLogger {
	return &slogLeveled{l: f.l.With("scope", scope), errLevel: slog.LevelError}
}

// slogLeveled adapts a *slog.Logger to pion's logging.LeveledLogger.
// errLevel is the level pion's Error messages are logged at; the auth
// handler's logger demotes them, since an expired or malformed username is
// the client's fault, not the server's, and anyone on the internet can send
// one.
type slogLeveled struct {
	l        *slog.Logger
	errLevel slog.Level
}

func (s *slogLeveled) log(level slog.Level, msg string) {
	s.l.Log(context.Background(), level, msg)
}

func (s *slogLeveled) logf(level slog.Level, format string, args ...any) {
	if !s.l.Enabled(context.Background(), level) {
		return
	}
	s.l.Log(context.Background(), level, fmt.Sprintf(format, args...))
}

func (s *slogLeveled) Trace(msg string)                  { s.log(levelTrace, msg) }
func (s *slogLeveled) Tracef(format string, args ...any) { s.logf(levelTrace, format, args...) }
func (s *slogLeveled) Debug(msg string)                  { s.log(slog.LevelDebug, msg) }
func (s *slogLeveled) Debugf(format string, args ...any) { s.logf(slog.LevelDebug, format, args...) }
func (s *slogLeveled) Info(msg string)                   { s.log(slog.LevelInfo, msg) }
func (s *slogLeveled) Infof(format string, args ...any)  { s.logf(slog.LevelInfo, format, args...) }
func (s *slogLeveled) Warn(msg string)                   { s.log(slog.LevelWarn, msg) }
func (s *slogLeveled) Warnf(format string, args ...any)  { s.logf(slog.LevelWarn, format, args...) }
func (s *slogLeveled) Error(msg string)                  { s.log(s.errLevel, msg) }
func (s *slogLeveled) Errorf(format string, args ...any) { s.logf(s.errLevel, format, args...) }
