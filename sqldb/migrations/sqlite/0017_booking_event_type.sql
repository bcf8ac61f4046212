-- The event type a booking was made with, if any: scheduled events name it
-- (their event_type and name), and a reschedule carries it to the new
-- booking. Event types are never deleted (only deactivated), so the
-- reference always resolves; NULL is a booking made by duration alone.
ALTER TABLE scheduled_calls ADD COLUMN event_type_id TEXT REFERENCES event_types (id);
