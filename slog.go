// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

//go:build go1.21

package nbdkit

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
)

// NewSlogHandler returns a log/slog Handler that writes to nbdkit's
// log: records at slog.LevelError and above with Error, the others
// with Debug (shown with nbdkit -v).  Attributes are formatted as
// slog's TextHandler formats them, without the time, which nbdkit's
// log has its own way of showing.  opts may be nil; its Level is
// slog.LevelDebug unless set.  (Go 1.21 or later.)
//
//	slog.SetDefault(slog.New(nbdkit.NewSlogHandler(nil)))
//	slog.Info("opened", "file", path)   // nbdkit: disk: debug: level=INFO msg=opened file=/tmp/disk
func NewSlogHandler(opts *slog.HandlerOptions) slog.Handler {
	o := slog.HandlerOptions{Level: slog.LevelDebug}
	if opts != nil {
		o = *opts
		if o.Level == nil {
			o.Level = slog.LevelDebug
		}
	}
	replace := o.ReplaceAttr
	o.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		if replace != nil {
			return replace(groups, a)
		}
		return a
	}
	return &slogHandler{level: o.Level, text: func(buf *bytes.Buffer) slog.Handler {
		return slog.NewTextHandler(buf, &o)
	}}
}

// slogHandler formats a record with a TextHandler into a buffer of
// its own, then hands the line to nbdkit.
type slogHandler struct {
	level slog.Leveler
	text  func(*bytes.Buffer) slog.Handler
	// with replays WithAttrs and WithGroup on each new TextHandler.
	with []func(slog.Handler) slog.Handler
}

func (h *slogHandler) Enabled(_ context.Context, level slog.Level) bool {
	if level < slog.LevelError && debugOff.Load() {
		return false
	}
	return level >= h.level.Level()
}

func (h *slogHandler) Handle(ctx context.Context, r slog.Record) error {
	var buf bytes.Buffer
	inner := h.text(&buf)
	for _, with := range h.with {
		inner = with(inner)
	}
	if err := inner.Handle(ctx, r); err != nil {
		return err
	}
	line := strings.TrimSuffix(buf.String(), "\n")
	if r.Level >= slog.LevelError {
		logSink.error(line, 0)
	} else {
		logSink.debug(line)
	}
	return nil
}

func (h *slogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.extend(func(inner slog.Handler) slog.Handler { return inner.WithAttrs(attrs) })
}

func (h *slogHandler) WithGroup(name string) slog.Handler {
	return h.extend(func(inner slog.Handler) slog.Handler { return inner.WithGroup(name) })
}

func (h *slogHandler) extend(with func(slog.Handler) slog.Handler) slog.Handler {
	next := *h
	next.with = append(append([]func(slog.Handler) slog.Handler(nil), h.with...), with)
	return &next
}
