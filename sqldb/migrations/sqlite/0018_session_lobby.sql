-- Group sessions' lobby in the database (issue 12), so every instance of a
-- fleet sees the same room: "admit on arrival" per session, and per guest
-- whether a host admitted them (lobby_admitted_at), removed them
-- (lobby_removed_at: they wait for a host again, even with admit on
-- arrival), and since when they wait (lobby_waiting_since) with the last
-- time their page asked (lobby_seen_at: a closed tab drops off the hosts'
-- list). Hosts are always in and have no lobby state. lobby_version counts
-- changes: every write is a compare-and-set on it.
ALTER TABLE sessions ADD COLUMN admit_on_arrival INTEGER NOT NULL DEFAULT 0 CHECK (admit_on_arrival IN (0, 1));
ALTER TABLE session_participants ADD COLUMN lobby_admitted_at TEXT;
ALTER TABLE session_participants ADD COLUMN lobby_removed_at TEXT
	CHECK (lobby_removed_at IS NULL OR lobby_admitted_at IS NULL);
ALTER TABLE session_participants ADD COLUMN lobby_waiting_since TEXT
	CHECK (lobby_waiting_since IS NULL OR lobby_admitted_at IS NULL);
ALTER TABLE session_participants ADD COLUMN lobby_seen_at TEXT;
ALTER TABLE session_participants ADD COLUMN lobby_version INTEGER NOT NULL DEFAULT 0;

-- The sweep that ends sessions nobody is in after their end reads this.
CREATE INDEX sessions_in_progress_end_idx ON sessions (end_time) WHERE state = 'in_progress';
