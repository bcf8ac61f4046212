-- Connected calendars: a host's CalDAV account or .ics subscription.
-- password_sealed is the password encrypted (AES-GCM) with the service's
-- calendar key; it never leaves the service. when_failing is what slots
-- do while one of the connection's calendars cannot be read.
CREATE TABLE calendar_connections (
	id              TEXT PRIMARY KEY,
	user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	kind            TEXT NOT NULL CHECK (kind IN ('caldav', 'ics')),
	url             TEXT NOT NULL CHECK (length(url) <= 2048),
	username        TEXT NOT NULL DEFAULT '',
	password_sealed TEXT NOT NULL DEFAULT '',
	when_failing    TEXT NOT NULL DEFAULT 'withhold' CHECK (when_failing IN ('withhold', 'offer')),
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL,
	UNIQUE (user_id, url, username)
);
CREATE INDEX calendar_connections_user_idx ON calendar_connections (user_id, id);

-- The calendars of a connection (an .ics subscription is one). At most
-- one calendar of a host receives bookings.
CREATE TABLE calendar_calendars (
	id              TEXT PRIMARY KEY,
	connection_id   TEXT NOT NULL REFERENCES calendar_connections (id) ON DELETE CASCADE,
	user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	url             TEXT NOT NULL,
	name            TEXT NOT NULL DEFAULT '',
	check_conflicts INTEGER NOT NULL DEFAULT 1,
	add_bookings    INTEGER NOT NULL DEFAULT 0,
	refreshed_at    TEXT,
	failing_since   TEXT,
	last_error      TEXT NOT NULL DEFAULT '',
	UNIQUE (connection_id, url)
);
CREATE INDEX calendar_calendars_user_idx ON calendar_calendars (user_id);
CREATE UNIQUE INDEX calendar_calendars_add_bookings_key ON calendar_calendars (user_id) WHERE add_bookings;

-- The busy times last read from each calendar, replaced whole at each
-- refresh.
CREATE TABLE calendar_busy (
	calendar_id TEXT NOT NULL,
	starts_at   TEXT NOT NULL,
	ends_at     TEXT NOT NULL
);
CREATE INDEX calendar_busy_idx ON calendar_busy (calendar_id, starts_at);

-- The write-back outbox: a booking made or canceled with a host whose
-- calendar receives bookings, written by the triggers below in the
-- change's own transaction; a job puts or removes the event and sets
-- done_at.
CREATE TABLE calendar_writes (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	booking_id TEXT NOT NULL,
	host_id    TEXT NOT NULL,
	action     TEXT NOT NULL CHECK (action IN ('put', 'delete')),
	created_at TEXT NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	done_at    TEXT
);
CREATE INDEX calendar_writes_pending_idx ON calendar_writes (id) WHERE done_at IS NULL;

CREATE TRIGGER calendar_booking_put AFTER INSERT ON scheduled_calls
	WHEN NEW.status = 'confirmed'
		AND EXISTS (SELECT 1 FROM calendar_calendars WHERE user_id = NEW.host_id AND add_bookings)
BEGIN
	INSERT INTO calendar_writes (booking_id, host_id, action, created_at)
		VALUES (NEW.id, NEW.host_id, 'put', NEW.created_at);
END;

CREATE TRIGGER calendar_booking_delete AFTER UPDATE OF status ON scheduled_calls
	WHEN OLD.status = 'confirmed' AND NEW.status = 'canceled'
		AND EXISTS (SELECT 1 FROM calendar_calendars WHERE user_id = NEW.host_id AND add_bookings)
BEGIN
	INSERT INTO calendar_writes (booking_id, host_id, action, created_at)
		VALUES (NEW.id, NEW.host_id, 'delete',
			COALESCE(NEW.canceled_at, strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')));
END;
