-- The rate limits' token buckets, shared by every instance of a fleet
-- (ratelimit.Store). A bucket is a GCRA cell: tat is its theoretical
-- arrival time, in microseconds since the Unix epoch; a bucket whose tat
-- has passed is full and is pruned. UNLOGGED: a check writes no WAL and
-- waits for no flush; after a crash the table is empty, which only gives
-- every client a full budget again.
CREATE UNLOGGED TABLE rate_limits (
	key TEXT PRIMARY KEY CHECK (length(key) <= 200),
	tat BIGINT NOT NULL
);
CREATE INDEX rate_limits_tat ON rate_limits (tat);
