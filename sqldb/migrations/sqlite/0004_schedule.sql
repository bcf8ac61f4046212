-- Hosts' availability, kept as the validated JSON document the API speaks.
CREATE TABLE availability (
	user_id    TEXT PRIMARY KEY REFERENCES users (id),
	document   TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

-- Booked calls. A confirmed booking never overlaps another confirmed one
-- of the same host: SQLite serialises writers (every transaction is
-- BEGIN IMMEDIATE) and the insert checks for overlaps inside it.
CREATE TABLE scheduled_calls (
	id                TEXT PRIMARY KEY,
	host_id           TEXT NOT NULL REFERENCES users (id),
	guest_id          TEXT NOT NULL REFERENCES users (id),
	starts_at         TEXT NOT NULL,
	ends_at           TEXT NOT NULL,
	duration_minutes  INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
	note              TEXT,
	status            TEXT NOT NULL CHECK (status IN ('confirmed', 'canceled')),
	rate_cents        INTEGER NOT NULL,
	window_minutes    INTEGER NOT NULL,
	payment_method_id TEXT,
	sequence          INTEGER NOT NULL DEFAULT 0,
	canceled_by       TEXT,
	cancel_reason     TEXT,
	canceled_at       TEXT,
	host_joined_at    TEXT, -- the host joined before the guest
	rescheduled       INTEGER NOT NULL DEFAULT 0,
	created_at        TEXT NOT NULL,
	CHECK (ends_at > starts_at)
);
CREATE INDEX scheduled_calls_host_idx ON scheduled_calls (host_id, starts_at);
CREATE INDEX scheduled_calls_guest_idx ON scheduled_calls (guest_id, starts_at);
