package pgload

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Database is a scratch database made for a load: its own name, so that
// several loads share a server, and a connection to it.
type Database struct {
	Name  string
	Conn  *pgx.Conn
	admin *pgx.ConnConfig
}

// CreateDatabase creates the database prefix_<16 random hex digits> on the
// server of dsn and connects to it (time zone UTC, as the reference answers
// were computed). Drop removes it.
func CreateDatabase(ctx context.Context, dsn, prefix string) (*Database, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgload: dsn: %w", err)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	name := prefix + "_" + hex.EncodeToString(b[:])
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgload: connect: %w", err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("pgload: create database %s: %w", name, err)
	}
	dbCfg := cfg.Copy()
	dbCfg.Database = name
	if dbCfg.RuntimeParams == nil {
		dbCfg.RuntimeParams = map[string]string{}
	}
	dbCfg.RuntimeParams["timezone"] = "UTC"
	conn, err := pgx.ConnectConfig(ctx, dbCfg)
	if err != nil {
		d := &Database{Name: name, admin: cfg}
		return nil, errors.Join(fmt.Errorf("pgload: connect to %s: %w", name, err), d.Drop(context.WithoutCancel(ctx)))
	}
	return &Database{Name: name, Conn: conn, admin: cfg}, nil
}

// Drop closes the connection and drops the database.
func (d *Database) Drop(ctx context.Context) error {
	if d.Conn != nil {
		d.Conn.Close(ctx)
		d.Conn = nil
	}
	admin, err := pgx.ConnectConfig(ctx, d.admin)
	if err != nil {
		return fmt.Errorf("pgload: connect: %w", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.Name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("pgload: drop database %s: %w", d.Name, err)
	}
	return nil
}
