// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

//go:build go1.21

package nbdkit

import (
	"context"
	"log/slog"
	"testing"
)

func TestSlogHandler(t *testing.T) {
	log := setup(t, &testPlugin{})
	logger := slog.New(NewSlogHandler(nil))
	logger.Debug("starting", "size", 1024)
	logger.With("file", "/tmp/disk").WithGroup("req").Info("read", "offset", 512)
	logger.Error("failed", "err", "no space")
	if len(log.debugs) != 2 ||
		log.debugs[0] != "level=DEBUG msg=starting size=1024" ||
		log.debugs[1] != "level=INFO msg=read file=/tmp/disk req.offset=512" {
		t.Errorf("debug lines: %q", log.debugs)
	}
	if len(log.errors) != 1 || log.errors[0] != `level=ERROR msg=failed err="no space"` {
		t.Errorf("error lines: %q", log.errors)
	}
	// A level of its own, and nothing below it.
	logger = slog.New(NewSlogHandler(&slog.HandlerOptions{Level: slog.LevelWarn}))
	logger.Info("hidden")
	logger.Warn("shown")
	if len(log.debugs) != 3 || log.debugs[2] != "level=WARN msg=shown" {
		t.Errorf("with LevelWarn: %q", log.debugs)
	}
	// Without nbdkit -v, debug records are not even formatted.
	debugOff.Store(true)
	defer debugOff.Store(false)
	if slog.New(NewSlogHandler(nil)).Enabled(context.Background(), slog.LevelInfo) {
		t.Errorf("Info enabled without -v")
	}
}
