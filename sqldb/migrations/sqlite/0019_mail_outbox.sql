-- Invite emails of group sessions (issue 12, part 5) through an outbox:
-- the triggers below write one row per mail in the change's own
-- transaction, so no write path can commit a change and lose its mail; a
-- job sends them (jobs/mail.go). A row carries what its mail needs even
-- when the participant is gone: the address, the name, the event's UID
-- (sessions' "session-{session}-{participant}@vidivo") and its sequence.
-- status: pending → sent, failed (a permanent SMTP error, or retries ran
-- out), skipped (no SMTP configured, or nothing left to send) or
-- superseded (a later mail for the same event went instead).
CREATE TABLE mail_outbox (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	method          TEXT NOT NULL CHECK (method IN ('REQUEST', 'CANCEL')),
	reason          TEXT NOT NULL CHECK (reason IN ('invited', 'updated', 'canceled', 'removed', 'reissued')),
	session_id      TEXT NOT NULL,
	participant_id  TEXT NOT NULL,
	email           TEXT NOT NULL CHECK (email <> ''),
	display_name    TEXT NOT NULL,
	uid             TEXT NOT NULL,
	sequence        INTEGER NOT NULL,
	status          TEXT NOT NULL DEFAULT 'pending'
		CHECK (status IN ('pending', 'sent', 'failed', 'skipped', 'superseded')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT,
	claimed_until   TEXT,
	error           TEXT NOT NULL DEFAULT '',
	created_at      TEXT NOT NULL,
	done_at         TEXT
);
CREATE INDEX mail_outbox_pending_idx ON mail_outbox (id) WHERE status = 'pending';
CREATE INDEX mail_outbox_uid_idx ON mail_outbox (uid, id);
CREATE INDEX mail_outbox_session_idx ON mail_outbox (session_id, id);

-- A participant with an email added to a scheduled session, at its
-- creation or later: their invitation.
CREATE TRIGGER mail_participant_invited AFTER INSERT ON session_participants
	WHEN NEW.email <> '' AND NEW.removed_at IS NULL
		AND (SELECT state FROM sessions WHERE id = NEW.session_id) = 'scheduled'
BEGIN
	INSERT INTO mail_outbox (method, reason, session_id, participant_id, email, display_name, uid, sequence, created_at)
		SELECT 'REQUEST', 'invited', NEW.session_id, NEW.id, NEW.email, NEW.display_name,
			'session-' || NEW.session_id || '-' || NEW.id || '@vidivo', s.sequence, NEW.created_at
		FROM sessions s WHERE s.id = NEW.session_id;
END;

-- The name or times of a scheduled session changed (the update bumped the
-- sequence): the updated invitation to everyone with an email. A change
-- of the picture alone changes no invite and sends nothing.
CREATE TRIGGER mail_session_updated AFTER UPDATE OF name, start_time, end_time ON sessions
	WHEN NEW.state = 'scheduled' AND OLD.state = 'scheduled'
		AND (NEW.name <> OLD.name OR NEW.start_time <> OLD.start_time OR NEW.end_time <> OLD.end_time)
BEGIN
	INSERT INTO mail_outbox (method, reason, session_id, participant_id, email, display_name, uid, sequence, created_at)
		SELECT 'REQUEST', 'updated', NEW.id, p.id, p.email, p.display_name,
			'session-' || NEW.id || '-' || p.id || '@vidivo', NEW.sequence, NEW.updated_at
		FROM session_participants p WHERE p.session_id = NEW.id AND p.removed_at IS NULL AND p.email <> '';
END;

-- The session was canceled: the cancellation to everyone with an email.
CREATE TRIGGER mail_session_canceled AFTER UPDATE OF state ON sessions
	WHEN NEW.state = 'canceled' AND OLD.state <> 'canceled'
BEGIN
	INSERT INTO mail_outbox (method, reason, session_id, participant_id, email, display_name, uid, sequence, created_at)
		SELECT 'CANCEL', 'canceled', NEW.id, p.id, p.email, p.display_name,
			'session-' || NEW.id || '-' || p.id || '@vidivo', NEW.sequence, NEW.updated_at
		FROM session_participants p WHERE p.session_id = NEW.id AND p.removed_at IS NULL AND p.email <> '';
END;

-- A participant was removed from a session that is still on: the
-- cancellation of their event. Removing one does not bump the session's
-- sequence, so the row carries the sequence + 1: above every invitation
-- they were sent.
CREATE TRIGGER mail_participant_removed AFTER UPDATE OF removed_at ON session_participants
	WHEN OLD.removed_at IS NULL AND NEW.removed_at IS NOT NULL AND NEW.email <> ''
		AND (SELECT state FROM sessions WHERE id = NEW.session_id) IN ('scheduled', 'in_progress')
BEGIN
	INSERT INTO mail_outbox (method, reason, session_id, participant_id, email, display_name, uid, sequence, created_at)
		SELECT 'CANCEL', 'removed', NEW.session_id, NEW.id, NEW.email, NEW.display_name,
			'session-' || NEW.session_id || '-' || NEW.id || '@vidivo', s.sequence + 1, NEW.removed_at
		FROM sessions s WHERE s.id = NEW.session_id;
END;

-- A participant's entry URL was reissued: the invitation again, with the
-- new link in it.
CREATE TRIGGER mail_participant_reissued AFTER UPDATE OF token_hash ON session_participants
	WHEN NEW.token_hash <> OLD.token_hash AND NEW.removed_at IS NULL AND NEW.email <> ''
		AND (SELECT state FROM sessions WHERE id = NEW.session_id) IN ('scheduled', 'in_progress')
BEGIN
	INSERT INTO mail_outbox (method, reason, session_id, participant_id, email, display_name, uid, sequence, created_at)
		SELECT 'REQUEST', 'reissued', NEW.session_id, NEW.id, NEW.email, NEW.display_name,
			'session-' || NEW.session_id || '-' || NEW.id || '@vidivo', s.sequence,
			strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')
		FROM sessions s WHERE s.id = NEW.session_id;
END;
