-- Paid call sessions. status only moves through compare-and-set updates
-- that follow the domain's state machine.
CREATE TABLE calls (
	id                TEXT PRIMARY KEY,
	link_id           TEXT REFERENCES links (id), -- NULL for scheduled calls
	host_id           TEXT NOT NULL REFERENCES users (id),
	guest_id          TEXT NOT NULL,
	guest_user_id     TEXT REFERENCES users (id),
	guest_name        TEXT,
	guest_email       TEXT,
	rate_cents        BIGINT NOT NULL CHECK (rate_cents > 0),
	window_minutes    INTEGER NOT NULL CHECK (window_minutes BETWEEN 1 AND 60),
	status            TEXT NOT NULL CHECK (status IN ('waiting', 'ringing', 'active', 'completed', 'missed', 'failed')),
	payment_method_id TEXT NOT NULL,
	customer_id       TEXT NOT NULL DEFAULT '',
	host_account_id   TEXT NOT NULL DEFAULT '',
	windows           INTEGER NOT NULL DEFAULT 1,
	created_at        TIMESTAMPTZ NOT NULL,
	scheduled_at      TIMESTAMPTZ, -- the booked start, for scheduled calls
	ringing_at        TIMESTAMPTZ,
	active_at         TIMESTAMPTZ,
	ended_at          TIMESTAMPTZ,
	end_reason        TEXT,
	duration_seconds  BIGINT NOT NULL DEFAULT 0,
	billed_minutes    BIGINT NOT NULL DEFAULT 0,
	total_cents       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX calls_host_idx ON calls (host_id, id DESC);
CREATE INDEX calls_guest_user_idx ON calls (guest_user_id, id DESC);
CREATE INDEX calls_open_idx ON calls (status) WHERE status IN ('waiting', 'ringing', 'active');

-- The ledger: every hold, capture and release, written before the gateway
-- is asked (pending) and updated with its answer. A call's first hold is
-- written before the call exists, so call_id has no foreign key.
CREATE TABLE call_charges (
	id              TEXT PRIMARY KEY,
	call_id         TEXT NOT NULL,
	kind            TEXT NOT NULL CHECK (kind IN ('hold', 'capture', 'release')),
	window_index    INTEGER NOT NULL,
	amount_cents    BIGINT NOT NULL CHECK (amount_cents >= 0),
	gateway_id      TEXT NOT NULL DEFAULT '',
	idempotency_key TEXT NOT NULL,
	state           TEXT NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
	-- for holds: what the gateway was asked, so a pending hold can be
	-- asked again identically (same idempotency key, same parameters)
	details         TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMPTZ NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL
);
-- One entry per gateway operation: the same idempotency key is never
-- recorded twice, so nothing is captured twice.
CREATE UNIQUE INDEX call_charges_key ON call_charges (idempotency_key);
CREATE INDEX call_charges_call_idx ON call_charges (call_id, id);
CREATE INDEX call_charges_pending_idx ON call_charges (state) WHERE state = 'pending';

-- Stored responses of requests sent with X-Idempotency-Key, kept 24 hours.
CREATE TABLE idempotency_keys (
	scope        TEXT NOT NULL,
	key          TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	status       INTEGER NOT NULL DEFAULT 0,
	body         BYTEA,
	created_at   TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (scope, key)
);

-- The sandbox payments gateway's own books: its holds and what happened
-- to them, so it behaves like a real provider across restarts.
CREATE TABLE sandbox_holds (
	id                TEXT PRIMARY KEY,
	idempotency_key   TEXT NOT NULL UNIQUE,
	customer_id       TEXT NOT NULL,
	payment_method_id TEXT NOT NULL,
	amount_cents      BIGINT NOT NULL,
	captured_cents    BIGINT NOT NULL DEFAULT 0,
	status            TEXT NOT NULL CHECK (status IN ('requires_capture', 'captured', 'canceled')),
	created_at        TIMESTAMPTZ NOT NULL
);
CREATE TABLE sandbox_ops (
	idempotency_key TEXT PRIMARY KEY,
	hold_id         TEXT NOT NULL,
	op              TEXT NOT NULL,
	amount_cents    BIGINT NOT NULL
);

ALTER TABLE users ADD COLUMN payout_account_id TEXT NOT NULL DEFAULT '';
