-- Views that show the series with timestamps and entity ids, for people and
-- tools that read the history directly.
CREATE VIEW observations_at AS
SELECT c.entity_id, c.metric, to_timestamp(o.t / 1e9) AS time, o.t, o.v AS value, o.pos
FROM observations o JOIN channels c ON c.id = o.channel;

CREATE VIEW moves_at AS
SELECT entity_id, to_timestamp(t / 1e9) AS time, t, geom
FROM moves;
