-- Hosts' availability, kept as the validated JSON document the API speaks.
CREATE TABLE availability (
	user_id    TEXT PRIMARY KEY REFERENCES users (id),
	document   TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);

-- btree_gist lets one exclusion constraint compare host ids (equality) and
-- time ranges (overlap). Installed in public: a database holds it once.
CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public;

-- Booked calls. A confirmed booking never overlaps another confirmed one
-- of the same host: the exclusion constraint refuses it (SQLSTATE 23P01).
CREATE TABLE scheduled_calls (
	id                TEXT PRIMARY KEY,
	host_id           TEXT NOT NULL REFERENCES users (id),
	guest_id          TEXT NOT NULL REFERENCES users (id),
	starts_at         TIMESTAMPTZ NOT NULL,
	ends_at           TIMESTAMPTZ NOT NULL,
	duration_minutes  INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
	note              TEXT,
	status            TEXT NOT NULL CHECK (status IN ('confirmed', 'canceled')),
	rate_cents        BIGINT NOT NULL,
	window_minutes    INTEGER NOT NULL,
	payment_method_id TEXT,
	sequence          INTEGER NOT NULL DEFAULT 0,
	canceled_by       TEXT,
	cancel_reason     TEXT,
	canceled_at       TIMESTAMPTZ,
	host_joined_at    TIMESTAMPTZ, -- the host joined before the guest
	rescheduled       BOOLEAN NOT NULL DEFAULT false,
	created_at        TIMESTAMPTZ NOT NULL,
	CHECK (ends_at > starts_at),
	CONSTRAINT scheduled_calls_no_overlap EXCLUDE USING gist (host_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
		WHERE (status = 'confirmed')
);
CREATE INDEX scheduled_calls_host_idx ON scheduled_calls (host_id, starts_at);
CREATE INDEX scheduled_calls_guest_idx ON scheduled_calls (guest_id, starts_at);
