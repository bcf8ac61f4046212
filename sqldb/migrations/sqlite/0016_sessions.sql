-- Scheduled group sessions (issue 12): a session at a time with up to six
-- participants, each entering through their own URL (stored as the
-- token's hash with the salt it was derived from), some paying a fee.
-- Times are fixed-width UTC text, so comparing them compares instants.
CREATE TABLE sessions (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	picture     TEXT NOT NULL DEFAULT '',
	host_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	start_time  TEXT NOT NULL,
	end_time    TEXT NOT NULL,
	state       TEXT NOT NULL CHECK (state IN ('scheduled', 'in_progress', 'ended', 'canceled')),
	sequence    INTEGER NOT NULL DEFAULT 0,
	started_at  TEXT,
	ended_at    TEXT,
	canceled_at TEXT,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL,
	CHECK (end_time > start_time),
	CHECK (julianday(end_time) <= julianday(start_time) + 8.0 / 24 + 1e-9)
);
CREATE INDEX sessions_host_idx ON sessions (host_id, start_time, id);

-- removed_at keeps a removed participant's row (and payment) on the
-- session's record; its URL no longer works.
CREATE TABLE session_participants (
	id              TEXT PRIMARY KEY,
	session_id      TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	display_name    TEXT NOT NULL,
	email           TEXT NOT NULL DEFAULT '',
	role            TEXT NOT NULL CHECK (role IN ('host', 'guest')),
	user_id         TEXT REFERENCES users (id) ON DELETE SET NULL,
	fee_cents       INTEGER NOT NULL DEFAULT 0 CHECK (fee_cents >= 0),
	token_hash      TEXT NOT NULL UNIQUE,
	entry_salt      TEXT NOT NULL,
	join_generation INTEGER NOT NULL DEFAULT 0,
	removed_at      TEXT,
	created_at      TEXT NOT NULL,
	CHECK (role = 'guest' OR fee_cents = 0)
);
CREATE INDEX session_participants_session_idx ON session_participants (session_id, id);
CREATE INDEX session_participants_user_idx ON session_participants (user_id) WHERE user_id IS NOT NULL;

-- At most six participants a session (SQLite has one writer at a time,
-- so the count cannot race).
CREATE TRIGGER session_participants_cap BEFORE INSERT ON session_participants
	WHEN (SELECT count(*) FROM session_participants WHERE session_id = NEW.session_id AND removed_at IS NULL) >= 6
BEGIN
	SELECT RAISE(ABORT, 'session_full: a session has at most 6 participants');
END;

-- One attempt to pay a fee. The partial unique index allows one live
-- (pending, captured or refunded) payment per participant: racing
-- payments share it; a declined attempt is failed and the next is new.
CREATE TABLE session_payments (
	id                TEXT PRIMARY KEY,
	session_id        TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	participant_id    TEXT NOT NULL REFERENCES session_participants (id) ON DELETE CASCADE,
	host_id           TEXT NOT NULL,
	attempt           INTEGER NOT NULL CHECK (attempt >= 1),
	status            TEXT NOT NULL CHECK (status IN ('pending', 'captured', 'failed', 'refunded')),
	amount_cents      INTEGER NOT NULL CHECK (amount_cents > 0),
	platform_fee_cents INTEGER NOT NULL DEFAULT 0,
	host_payout_cents INTEGER NOT NULL DEFAULT 0,
	hold_id           TEXT NOT NULL DEFAULT '',
	paid_at           TEXT,
	refunded_at       TEXT,
	created_at        TEXT NOT NULL,
	UNIQUE (participant_id, attempt),
	CHECK (status NOT IN ('captured', 'refunded') OR (paid_at IS NOT NULL AND hold_id <> ''))
);
CREATE UNIQUE INDEX session_payments_live_key ON session_payments (participant_id)
	WHERE status IN ('pending', 'captured', 'refunded');
CREATE INDEX session_payments_host_idx ON session_payments (host_id, paid_at DESC);

-- Webhook events through the outbox, in the change's transaction:
-- session.created, session.canceled, session.ended and participant.paid
-- (whose subject is the payment).
CREATE TRIGGER webhook_session_created AFTER INSERT ON sessions
	WHEN EXISTS (SELECT 1 FROM webhook_subscriptions WHERE state = 'active')
BEGIN
	INSERT INTO webhook_events (event, subject_id, host_id, created_at)
		VALUES ('session.created', NEW.id, NEW.host_id, NEW.created_at);
END;

CREATE TRIGGER webhook_session_state AFTER UPDATE OF state ON sessions
	WHEN NEW.state <> OLD.state AND NEW.state IN ('canceled', 'ended')
		AND EXISTS (SELECT 1 FROM webhook_subscriptions WHERE state = 'active')
BEGIN
	INSERT INTO webhook_events (event, subject_id, host_id, created_at)
		VALUES (CASE NEW.state WHEN 'canceled' THEN 'session.canceled' ELSE 'session.ended' END, NEW.id, NEW.host_id,
			COALESCE(NEW.canceled_at, NEW.ended_at, strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')));
END;

CREATE TRIGGER webhook_session_payment_events AFTER UPDATE OF status ON session_payments
	WHEN OLD.status = 'pending' AND NEW.status = 'captured'
		AND EXISTS (SELECT 1 FROM webhook_subscriptions WHERE state = 'active')
BEGIN
	INSERT INTO webhook_events (event, subject_id, host_id, created_at)
		VALUES ('participant.paid', NEW.id, NEW.host_id, COALESCE(NEW.paid_at, strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')));
END;
