-- Webhook subscriptions: a callback URL, the events it wants and the
-- shared secret its deliveries are signed with. owner_key is
-- 'user:<id>' or 'organization:<id>': one subscription per URL and owner.
CREATE TABLE webhook_subscriptions (
	id               TEXT PRIMARY KEY,
	callback_url     TEXT NOT NULL CHECK (length(callback_url) <= 2048),
	events           TEXT NOT NULL,
	scope            TEXT NOT NULL CHECK (scope IN ('user', 'organization')),
	organization_id  TEXT,
	user_id          TEXT REFERENCES users (id) ON DELETE CASCADE,
	creator_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	owner_key        TEXT NOT NULL,
	signing_key      TEXT NOT NULL,
	state            TEXT NOT NULL CHECK (state IN ('active', 'disabled')),
	retry_started_at TEXT,
	created_at       TEXT NOT NULL,
	updated_at       TEXT NOT NULL,
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
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	event         TEXT NOT NULL,
	subject_id    TEXT NOT NULL,
	host_id       TEXT NOT NULL,
	created_at    TEXT NOT NULL,
	fanned_out_at TEXT
);
CREATE INDEX webhook_events_pending_idx ON webhook_events (subject_id) WHERE fanned_out_at IS NULL;
CREATE INDEX webhook_events_pending_id_idx ON webhook_events (id) WHERE fanned_out_at IS NULL;

-- One event for one subscription. id is the webhook-id every attempt
-- carries; body is fixed when the delivery is made.
CREATE TABLE webhook_deliveries (
	id              TEXT PRIMARY KEY,
	subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
	event_id        INTEGER NOT NULL,
	event           TEXT NOT NULL,
	body            TEXT NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	response_code   INTEGER,
	duration_ms     INTEGER,
	error           TEXT NOT NULL DEFAULT '',
	next_attempt_at TEXT,
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL,
	UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_sub_idx ON webhook_deliveries (subscription_id, id DESC);

-- Bookings: made (invitee.created) and canceled (invitee.canceled; a
-- reschedule cancels the old booking and makes a new one in one
-- transaction, so it writes both). Nothing is written while no
-- subscription is active.
CREATE TRIGGER webhook_booking_created AFTER INSERT ON scheduled_calls
	WHEN NEW.status = 'confirmed' AND EXISTS (SELECT 1 FROM webhook_subscriptions WHERE state = 'active')
BEGIN
	INSERT INTO webhook_events (event, subject_id, host_id, created_at)
		VALUES ('invitee.created', NEW.id, NEW.host_id, NEW.created_at);
END;

CREATE TRIGGER webhook_booking_canceled AFTER UPDATE OF status ON scheduled_calls
	WHEN OLD.status = 'confirmed' AND NEW.status = 'canceled'
		AND EXISTS (SELECT 1 FROM webhook_subscriptions WHERE state = 'active')
BEGIN
	INSERT INTO webhook_events (event, subject_id, host_id, created_at)
		VALUES ('invitee.canceled', NEW.id, NEW.host_id,
			COALESCE(NEW.canceled_at, strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')));
END;

-- Calls: active (call.started), completed and missed. A status moves
-- only by compare-and-set, so each is written once per call.
CREATE TRIGGER webhook_call_events AFTER UPDATE OF status ON calls
	WHEN NEW.status <> OLD.status AND NEW.status IN ('active', 'completed', 'missed')
		AND EXISTS (SELECT 1 FROM webhook_subscriptions WHERE state = 'active')
BEGIN
	INSERT INTO webhook_events (event, subject_id, host_id, created_at)
		VALUES (CASE NEW.status WHEN 'active' THEN 'call.started' WHEN 'completed' THEN 'call.completed' ELSE 'call.missed' END,
			NEW.id, NEW.host_id, COALESCE(NEW.ended_at, NEW.active_at, strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')));
END;
