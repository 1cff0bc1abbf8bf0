-- Observations and moves as TimescaleDB hypertables with one-day chunks on their
-- time (Unix ns), compressed after seven days.
CREATE EXTENSION IF NOT EXISTS timescaledb;

CREATE FUNCTION citytwin_now_ns() RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT (extract(epoch FROM now()) * 1e9)::bigint $$;

CREATE TABLE observations (
	channel integer NOT NULL,
	t       bigint NOT NULL,
	v       double precision NOT NULL,
	ord     bigint NOT NULL,
	pos     geometry(Point, 4326)
);
SELECT create_hypertable('observations', 't', chunk_time_interval => 86400000000000);
SELECT set_integer_now_func('observations', 'citytwin_now_ns');
CREATE INDEX observations_channel_t ON observations (channel, t);
ALTER TABLE observations SET (timescaledb.compress,
	timescaledb.compress_segmentby = 'channel', timescaledb.compress_orderby = 't, ord');
SELECT add_compression_policy('observations', BIGINT '604800000000000');

CREATE TABLE moves (
	entity_id text NOT NULL,
	t         bigint NOT NULL,
	geom      geometry(Point, 4326) NOT NULL,
	ord       bigint NOT NULL
);
SELECT create_hypertable('moves', 't', chunk_time_interval => 86400000000000);
SELECT set_integer_now_func('moves', 'citytwin_now_ns');
CREATE INDEX moves_entity_t ON moves (entity_id, t);
ALTER TABLE moves SET (timescaledb.compress,
	timescaledb.compress_segmentby = 'entity_id', timescaledb.compress_orderby = 't, ord');
SELECT add_compression_policy('moves', BIGINT '604800000000000');
