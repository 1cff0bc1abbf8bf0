package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"citytwin/twin"
	"citytwin/twin/history"
	"citytwin/web"
)

// historyFlags say where the twin keeps its long-term history.
type historyFlags struct {
	dsn  *string
	name *string
	fs   *flag.FlagSet // to read --retention, which says what the reader takes from the database
}

func addHistoryFlags(fs *flag.FlagSet) *historyFlags {
	return &historyFlags{
		fs: fs,
		dsn: fs.String("history", "", "also write every op into PostgreSQL/PostGIS at this URL (postgres://user:password@host:5432/db),\n"+
			"the long-term history: entity versions, moves and observations (see docs/history.md)"),
		name: fs.String("history-name", "citytwin", "name of this twin's position in the history database (one writer per name)"),
	}
}

// start starts the history sink when --history is given, and opens the reader
// through which the API answers ranges older than the retention from the
// database. stop stops both (call it before the store is closed).
func (f *historyFlags) start(ctx context.Context, store *twin.Store, log *slog.Logger) (opts []web.Option, stop func(), err error) {
	if *f.dsn == "" {
		return nil, func() {}, nil
	}
	if _, ok := store.Durability(); !ok {
		log.Warn("--history without --data: if the history database falls behind the change feed, the ops it missed are lost")
	}
	cfg := history.DefaultConfig(*f.dsn)
	cfg.Name = *f.name
	octx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	sink, err := history.Open(octx, cfg, store, log)
	if err != nil {
		return nil, nil, fmt.Errorf("--history %s: %w", redactDSN(*f.dsn), err)
	}
	log.Info("history sink started", "db", redactDSN(*f.dsn), "position", sink.Position(), "layout", sink.Layout())
	rcfg := history.DefaultReaderConfig(*f.dsn)
	rcfg.Retention = f.retention()
	reader, err := history.OpenReader(rcfg, store)
	if err != nil {
		if cerr := sink.Close(); cerr != nil {
			log.Error("close history sink", "err", cerr)
		}
		return nil, nil, fmt.Errorf("--history %s: reader: %w", redactDSN(*f.dsn), err)
	}
	return []web.Option{web.WithCollectors(sink.Collector()), web.WithHistory(reader)}, func() {
		reader.Close()
		if err := sink.Close(); err != nil {
			log.Error("close history sink", "err", err)
		}
		log.Info("history sink stopped", "position", sink.Position())
	}, nil
}

// retention is the twin's --retention (the twin's default when the command has
// no such flag): the reader takes what is older than it from the database.
func (f *historyFlags) retention() time.Duration {
	if fl := f.fs.Lookup("retention"); fl != nil {
		if g, ok := fl.Value.(flag.Getter); ok {
			if d, ok := g.Get().(time.Duration); ok {
				return d
			}
		}
	}
	return twin.DefaultConfig().Retention
}

// redactDSN hides the password of a connection URL.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
