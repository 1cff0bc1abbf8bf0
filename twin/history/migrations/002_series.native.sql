-- Observations and moves, partitioned by day on their time (Unix ns). The sink
-- creates a day's partitions when it first writes into that day, and indexes a
-- day's partitions ((channel, t), (entity_id, t)) once the data has moved two
-- days past it: a btree on the partition being filled would cost two thirds of
-- the insert rate, and the twin answers the newest day from memory anyway.
-- ord orders readings of the same channel and instant: the later op wins, as
-- in memory.
CREATE TABLE observations (
	channel integer NOT NULL,
	t       bigint NOT NULL,
	v       double precision NOT NULL,
	ord     bigint NOT NULL,
	pos     geometry(Point, 4326)
) PARTITION BY RANGE (t);

CREATE TABLE moves (
	entity_id text NOT NULL,
	t         bigint NOT NULL,
	geom      geometry(Point, 4326) NOT NULL,
	ord       bigint NOT NULL
) PARTITION BY RANGE (t);
