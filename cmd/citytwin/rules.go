package main

import (
	"context"
	"fmt"
	"log/slog"

	"citytwin/twin"
	"citytwin/twin/alert"
	"citytwin/web"
)

// alerts starts the alert engine on store: the web options that validate
// rules and export its metrics, and the loop to run until ctx ends.
func alerts(ctx context.Context, store *twin.Store, log *slog.Logger) ([]web.Option, func(context.Context) error, error) {
	cfg := alert.DefaultConfig()
	cfg.Logger = log.With("component", "alerts")
	eng, err := alert.New(ctx, store, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("alerts: %w", err)
	}
	opts := []web.Option{
		web.WithValidator(alert.KindRule, func(e *twin.Entity) error { _, err := alert.Parse(e); return err }),
		web.WithCollectors(web.AlertCollector(eng.Stats)),
	}
	return opts, eng.Run, nil
}
