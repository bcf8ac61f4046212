-- Event types: the kinds of call a host offers (a 15-minute intro, a
-- 60-minute session). Slugs are stored lower-case (the domain normalizes
-- them), so the unique index makes them unique per host regardless of case.
CREATE TABLE event_types (
	id               TEXT PRIMARY KEY,
	host_id          TEXT NOT NULL REFERENCES users (id),
	name             TEXT NOT NULL,
	slug             TEXT NOT NULL,
	duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
	active           BOOLEAN NOT NULL DEFAULT true,
	created_at       TIMESTAMPTZ NOT NULL,
	updated_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX event_types_host_slug_key ON event_types (host_id, slug);
