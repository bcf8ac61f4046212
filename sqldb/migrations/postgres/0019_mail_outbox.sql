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
	id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
	next_attempt_at TIMESTAMPTZ,
	claimed_until   TIMESTAMPTZ,
	error           TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMPTZ NOT NULL,
	done_at         TIMESTAMPTZ
);
CREATE INDEX mail_outbox_pending_idx ON mail_outbox (id) WHERE status = 'pending';
CREATE INDEX mail_outbox_uid_idx ON mail_outbox (uid, id);
CREATE INDEX mail_outbox_session_idx ON mail_outbox (session_id, id);

-- A participant with an email added to a scheduled session, at its
-- creation or later: their invitation. A participant removed from a
-- session that is still on: the cancellation of their event (removing
-- one does not bump the session's sequence, so the row carries the
-- sequence + 1, above every invitation they were sent). A reissued entry
-- URL: the invitation again, with the new link in it.
CREATE FUNCTION mail_participant_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	s sessions%ROWTYPE;
BEGIN
	IF NEW.email = '' THEN
		RETURN NEW;
	END IF;
	SELECT * INTO s FROM sessions WHERE id = NEW.session_id;
	IF TG_OP = 'INSERT' THEN
		IF NEW.removed_at IS NULL AND s.state = 'scheduled' THEN
			INSERT INTO mail_outbox (method, reason, session_id, participant_id, email, display_name, uid, sequence, created_at)
				VALUES ('REQUEST', 'invited', NEW.session_id, NEW.id, NEW.email, NEW.display_name,
					'session-' || NEW.session_id || '-' || NEW.id || '@vidivo', s.sequence, NEW.created_at);
		END IF;
	ELSIF OLD.removed_at IS NULL AND NEW.removed_at IS NOT NULL THEN
		IF s.state IN ('scheduled', 'in_progress') THEN
			INSERT INTO mail_outbox (method, reason, session_id, participant_id, email, display_name, uid, sequence, created_at)
				VALUES ('CANCEL', 'removed', NEW.session_id, NEW.id, NEW.email, NEW.display_name,
					'session-' || NEW.session_id || '-' || NEW.id || '@vidivo', s.sequence + 1, NEW.removed_at);
		END IF;
	ELSIF NEW.token_hash <> OLD.token_hash AND NEW.removed_at IS NULL AND s.state IN ('scheduled', 'in_progress') THEN
		INSERT INTO mail_outbox (method, reason, session_id, participant_id, email, display_name, uid, sequence, created_at)
			VALUES ('REQUEST', 'reissued', NEW.session_id, NEW.id, NEW.email, NEW.display_name,
				'session-' || NEW.session_id || '-' || NEW.id || '@vidivo', s.sequence, now());
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER mail_participant_events AFTER INSERT OR UPDATE OF removed_at, token_hash ON session_participants
	FOR EACH ROW EXECUTE FUNCTION mail_participant_events();

-- The name or times of a scheduled session changed (the update bumped the
-- sequence): the updated invitation to everyone with an email; a change
-- of the picture alone changes no invite and sends nothing. The session
-- was canceled: the cancellation to everyone with an email.
CREATE FUNCTION mail_session_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	m TEXT;
	r TEXT;
BEGIN
	IF NEW.state = 'canceled' AND OLD.state <> 'canceled' THEN
		m := 'CANCEL';
		r := 'canceled';
	ELSIF NEW.state = 'scheduled' AND OLD.state = 'scheduled' AND (NEW.name <> OLD.name
		OR NEW.start_time <> OLD.start_time OR NEW.end_time <> OLD.end_time) THEN
		m := 'REQUEST';
		r := 'updated';
	ELSE
		RETURN NEW;
	END IF;
	INSERT INTO mail_outbox (method, reason, session_id, participant_id, email, display_name, uid, sequence, created_at)
		SELECT m, r, NEW.id, p.id, p.email, p.display_name, 'session-' || NEW.id || '-' || p.id || '@vidivo',
			NEW.sequence, NEW.updated_at
		FROM session_participants p WHERE p.session_id = NEW.id AND p.removed_at IS NULL AND p.email <> '';
	RETURN NEW;
END
$$;
CREATE TRIGGER mail_session_events AFTER UPDATE OF name, start_time, end_time, state ON sessions
	FOR EACH ROW EXECUTE FUNCTION mail_session_events();
