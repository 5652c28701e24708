package natlab

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// levelTrace is below slog.LevelDebug, for pion's Trace level.
const levelTrace = slog.LevelDebug - 4

// slogFactory adapts an *slog.Logger to pion's logging.LoggerFactory so the
// routers, NATs and TURN server of a lab log through the injected logger.
type slogFactory struct{ log *slog.Logger }

// NewLogger returns a pion logger that tags records with scope.
func (f slogFactory) NewLogger(scope string) logging.LeveledLogger {
	return slogLogger{log: f.log.With("scope", scope)}
}

// slogLogger implements logging.LeveledLogger on slog. Formatting is done
// only when the level is enabled.
type slogLogger struct{ log *slog.Logger }

func (l slogLogger) emit(level slog.Level, format string, args ...any) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, fmt.Sprintf(format, args...))
}

func (l slogLogger) Trace(msg string)                  { l.emit(levelTrace, "%s", msg) }
func (l slogLogger) Tracef(format string, args ...any) { l.emit(levelTrace, format, args...) }
func (l slogLogger) Debug(msg string)                  { l.emit(slog.LevelDebug, "%s", msg) }
func (l slogLogger) Debugf(format string, args ...any) { l.emit(slog.LevelDebug, format, args...) }
func (l slogLogger) Info(msg string)                   { l.emit(slog.LevelInfo, "%s", msg) }
func (l slogLogger) Infof(format string, args ...any)  { l.emit(slog.LevelInfo, format, args...) }
func (l slogLogger) Warn(msg string)                   { l.emit(slog.LevelWarn, "%s", msg) }
func (l slogLogger) Warnf(format string, args ...any)  { l.emit(slog.LevelWarn, format, args...) }
func (l slogLogger) Error(msg string)                  { l.emit(slog.LevelError, "%s", msg) }
func (l slogLogger) Errorf(format string, args ...any) { l.emit(slog.LevelError, format, args...) }

// discardLogger returns a logger that drops everything.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
