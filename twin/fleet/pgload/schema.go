package pgload

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The tables of TSBS's IoT schema, their tag and field columns, in order.
var (
	tagColumns     = []string{"name", "fleet", "driver", "model", "device_version", "load_capacity", "fuel_capacity", "nominal_fuel_consumption"}
	numericTag     = map[string]bool{"load_capacity": true, "fuel_capacity": true, "nominal_fuel_consumption": true}
	readingsFields = []string{"latitude", "longitude", "elevation", "velocity", "heading", "grade", "fuel_consumption"}
	diagFields     = []string{"fuel_state", "current_load", "status"}
)

// schema creates the tables, without their indexes.
const schema = `
CREATE TABLE tags (
	id integer PRIMARY KEY,
	name text, fleet text, driver text, model text, device_version text,
	load_capacity double precision, fuel_capacity double precision, nominal_fuel_consumption double precision
);
CREATE TABLE readings (
	time timestamptz NOT NULL, tags_id integer,
	latitude double precision, longitude double precision, elevation double precision,
	velocity double precision, heading double precision, grade double precision,
	fuel_consumption double precision
);
CREATE TABLE diagnostics (
	time timestamptz NOT NULL, tags_id integer,
	fuel_state double precision, current_load double precision, status double precision
);`

// indexes are those TSBS's TimescaleDB loader makes on each data table.
var indexes = []string{
	`CREATE INDEX readings_tags_id_time_idx ON readings (tags_id, time DESC)`,
	`CREATE INDEX readings_time_idx ON readings (time DESC)`,
	`CREATE INDEX diagnostics_tags_id_time_idx ON diagnostics (tags_id, time DESC)`,
	`CREATE INDEX diagnostics_time_idx ON diagnostics (time DESC)`,
	`ANALYZE tags`,
	`ANALYZE readings`,
	`ANALYZE diagnostics`,
}

// CreateSchema creates the empty tables in the connection's database.
func CreateSchema(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, schema); err != nil {
		return fmt.Errorf("pgload: create schema: %w", err)
	}
	return nil
}
