package history

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one versioned step of the schema. A step may come in variants
// per layout: NNN_name.native.sql and NNN_name.timescale.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrationLock is the advisory lock key that serialises migrations between
// processes starting at once.
const migrationLock = 0x63697479 // "city"

// migrations returns the steps for layout, in order.
func migrations(layout string) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".sql")
		if !ok {
			continue
		}
		if b, variant, found := strings.Cut(base, "."); found {
			if variant != layout {
				continue
			}
			base = b
		}
		num, name, found := strings.Cut(base, "_")
		n, err := strconv.Atoi(num)
		if !found || err != nil {
			return nil, fmt.Errorf("history: migration %s: want NNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: n, name: name, sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("history: two migrations numbered %d", out[i].version)
		}
	}
	return out, nil
}

// Migrate brings the schema of the database conn is connected to up to date,
// applying each missing step in its own transaction and recording it in
// schema_migrations. layout "" picks timescale when the server offers
// TimescaleDB. It returns the layout of the database (the one chosen when it
// was created).
func Migrate(ctx context.Context, conn *pgx.Conn, layout string) (string, error) {
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLock)); err != nil {
		return "", fmt.Errorf("history: lock for migrations: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrationLock))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		layout     text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return "", fmt.Errorf("history: create schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	rows, err := conn.Query(ctx, "SELECT version, layout FROM schema_migrations ORDER BY version")
	if err != nil {
		return "", fmt.Errorf("history: read schema_migrations: %w", err)
	}
	var have string
	for rows.Next() {
		var v int
		var l string
		if err := rows.Scan(&v, &l); err != nil {
			rows.Close()
			return "", err
		}
		applied[v], have = true, l
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	switch {
	case have != "":
		if layout != "" && layout != have {
			return "", fmt.Errorf("history: the database has the %s layout, %s was asked for", have, layout)
		}
		layout = have
	case layout == "":
		layout = LayoutNative
		// TimescaleDB works only when the server preloads it: available alone
		// is not enough.
		var usable bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
			OR (EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
				AND current_setting('shared_preload_libraries') LIKE '%timescaledb%')`).Scan(&usable); err != nil {
			return "", fmt.Errorf("history: look for timescaledb: %w", err)
		}
		if usable {
			layout = LayoutTimescale
		}
	}
	steps, err := migrations(layout)
	if err != nil {
		return "", err
	}
	for _, m := range steps {
		if applied[m.version] {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, layout) VALUES ($1, $2, $3)", m.version, m.name, layout)
			return err
		})
		if err != nil {
			return "", fmt.Errorf("history: migration %03d_%s: %w", m.version, m.name, err)
		}
	}
	return layout, nil
}
