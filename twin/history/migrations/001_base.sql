-- The tables every layout has: where the sink is, the entities and their
-- versions, and the channels (entity, metric) observations refer to.
-- Times are Unix nanoseconds (bigint), as in the twin; the *_at views show them
-- as timestamptz (microseconds).
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE sink_position (
	name       text PRIMARY KEY,
	seq        bigint NOT NULL,           -- the last op applied
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE entities (
	id        text PRIMARY KEY,
	first_seq bigint NOT NULL,            -- the op that created it: the twin's order
	moving    boolean NOT NULL DEFAULT false
);

CREATE TABLE entity_versions (
	id          text NOT NULL,
	version     integer NOT NULL,
	seq         bigint NOT NULL,          -- the op that made this version
	kind        text NOT NULL,
	valid_from  bigint NOT NULL,          -- Unix ns
	valid_to    bigint,                   -- Unix ns, NULL while current
	deleted     boolean NOT NULL DEFAULT false,
	props       jsonb,
	geom        geometry(Geometry, 4326),
	height      double precision NOT NULL DEFAULT 0,
	min_height  double precision NOT NULL DEFAULT 0,
	levels      integer NOT NULL DEFAULT 0,
	links       jsonb,
	provenance  jsonb,
	source      text NOT NULL DEFAULT '',
	content     bytea NOT NULL,           -- hash of what the version says (see content.go)
	PRIMARY KEY (id, version)
);
CREATE UNIQUE INDEX entity_versions_current ON entity_versions (id) WHERE valid_to IS NULL;
CREATE INDEX entity_versions_geom ON entity_versions USING gist (geom);
CREATE INDEX entity_versions_valid ON entity_versions (valid_from, valid_to);

CREATE TABLE channels (
	id        serial PRIMARY KEY,
	entity_id text NOT NULL,
	metric    text NOT NULL,
	UNIQUE (entity_id, metric)
);

CREATE VIEW entity_versions_at AS
SELECT id, version, seq, kind,
	to_timestamp(valid_from / 1e9) AS valid_from,
	to_timestamp(valid_to / 1e9) AS valid_to,
	deleted, props, geom, height, min_height, levels, links, provenance, source
FROM entity_versions;
