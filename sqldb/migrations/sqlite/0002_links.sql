-- Hosts can sell calls once their payouts are connected.
ALTER TABLE users ADD COLUMN payouts_connected INTEGER NOT NULL DEFAULT 0;

-- Call links. use_count only moves through a compare-and-set that checks
-- max_uses, so it never passes it.
CREATE TABLE links (
	id                  TEXT PRIMARY KEY,
	short_code          TEXT NOT NULL,
	host_id             TEXT NOT NULL REFERENCES users (id),
	rate_cents          INTEGER NOT NULL CHECK (rate_cents BETWEEN 50 AND 99999),
	window_minutes      INTEGER NOT NULL CHECK (window_minutes BETWEEN 1 AND 60),
	expires_at          TEXT,
	max_uses            INTEGER CHECK (max_uses IS NULL OR max_uses >= 1),
	use_count           INTEGER NOT NULL DEFAULT 0 CHECK (use_count >= 0 AND (max_uses IS NULL OR use_count <= max_uses)),
	label               TEXT,
	scheduled_start     TEXT,
	scheduled_end       TEXT,
	deleted_at          TEXT,
	created_at          TEXT NOT NULL
);
CREATE UNIQUE INDEX links_short_code_key ON links (short_code);
CREATE INDEX links_host_idx ON links (host_id, id DESC);
