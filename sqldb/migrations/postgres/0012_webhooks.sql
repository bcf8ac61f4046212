-- Webhook subscriptions: a callback URL, the events it wants and the
-- shared secret its deliveries are signed with. owner_key is
-- 'user:<id>' or 'organization:<id>': one subscription per URL and owner.
CREATE TABLE webhook_subscriptions (
	id               TEXT PRIMARY KEY,
	callback_url     TEXT NOT NULL CHECK (char_length(callback_url) <= 2048),
	events           TEXT NOT NULL,
	scope            TEXT NOT NULL CHECK (scope IN ('user', 'organization')),
	organization_id  TEXT,
	user_id          TEXT REFERENCES users (id) ON DELETE CASCADE,
	creator_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	owner_key        TEXT NOT NULL,
	signing_key      TEXT NOT NULL,
	state            TEXT NOT NULL CHECK (state IN ('active', 'disabled')),
	retry_started_at TIMESTAMPTZ,
	created_at       TIMESTAMPTZ NOT NULL,
	updated_at       TIMESTAMPTZ NOT NULL,
	CHECK ((scope = 'user') = (user_id IS NOT NULL)),
	CHECK ((scope = 'organization') = (organization_id IS NOT NULL))
);
CREATE UNIQUE INDEX webhook_subscriptions_url_key ON webhook_subscriptions (owner_key, callback_url);
CREATE INDEX webhook_subscriptions_creator_idx ON webhook_subscriptions (creator_id);
CREATE INDEX webhook_subscriptions_user_idx ON webhook_subscriptions (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX webhook_subscriptions_org_idx ON webhook_subscriptions (organization_id, id) WHERE organization_id IS NOT NULL;

-- The outbox: one row per booking or call change a subscriber may want,
-- written by the triggers below in the change's own transaction, so no
-- write path can commit a change and lose its event. The fan-out turns a
-- row into deliveries and sets fanned_out_at.
CREATE TABLE webhook_events (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	event         TEXT NOT NULL,
	subject_id    TEXT NOT NULL,
	host_id       TEXT NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL,
	fanned_out_at TIMESTAMPTZ
);
CREATE INDEX webhook_events_pending_idx ON webhook_events (subject_id) WHERE fanned_out_at IS NULL;
CREATE INDEX webhook_events_pending_id_idx ON webhook_events (id) WHERE fanned_out_at IS NULL;

-- One event for one subscription. id is the webhook-id every attempt
-- carries; body is fixed when the delivery is made.
CREATE TABLE webhook_deliveries (
	id              TEXT PRIMARY KEY,
	subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
	event_id        BIGINT NOT NULL,
	event           TEXT NOT NULL,
	body            TEXT NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	response_code   INTEGER,
	duration_ms     BIGINT,
	error           TEXT NOT NULL DEFAULT '',
	next_attempt_at TIMESTAMPTZ,
	created_at      TIMESTAMPTZ NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL,
	UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_sub_idx ON webhook_deliveries (subscription_id, id DESC);

-- Bookings: made (invitee.created) and canceled (invitee.canceled; a
-- reschedule cancels the old booking and makes a new one in one
-- transaction, so it writes both). Nothing is written while no
-- subscription is active.
CREATE FUNCTION webhook_booking_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE state = 'active') THEN
		RETURN NEW;
	END IF;
	IF TG_OP = 'INSERT' AND NEW.status = 'confirmed' THEN
		INSERT INTO webhook_events (event, subject_id, host_id, created_at)
			VALUES ('invitee.created', NEW.id, NEW.host_id, NEW.created_at);
	ELSIF TG_OP = 'UPDATE' AND OLD.status = 'confirmed' AND NEW.status = 'canceled' THEN
		INSERT INTO webhook_events (event, subject_id, host_id, created_at)
			VALUES ('invitee.canceled', NEW.id, NEW.host_id, COALESCE(NEW.canceled_at, now()));
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER webhook_booking_events AFTER INSERT OR UPDATE OF status ON scheduled_calls
	FOR EACH ROW EXECUTE FUNCTION webhook_booking_events();

-- Calls: active (call.started), completed and missed. A status moves
-- only by compare-and-set, so each is written once per call.
CREATE FUNCTION webhook_call_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.status IS NOT DISTINCT FROM OLD.status OR NEW.status NOT IN ('active', 'completed', 'missed')
		OR NOT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE state = 'active') THEN
		RETURN NEW;
	END IF;
	INSERT INTO webhook_events (event, subject_id, host_id, created_at)
		VALUES (CASE NEW.status WHEN 'active' THEN 'call.started' WHEN 'completed' THEN 'call.completed' ELSE 'call.missed' END,
			NEW.id, NEW.host_id, COALESCE(NEW.ended_at, NEW.active_at, now()));
	RETURN NEW;
END
$$;

CREATE TRIGGER webhook_call_events AFTER UPDATE OF status ON calls
	FOR EACH ROW EXECUTE FUNCTION webhook_call_events();
