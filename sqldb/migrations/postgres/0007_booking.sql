-- A booking whose call exists can no longer be canceled or rescheduled.
-- call_started_at is set in the transaction that inserts the booking's
-- call (same id), by the trigger below, so cancel and reschedule are one
-- compare-and-set on the booking's own row: status = 'confirmed' AND
-- call_started_at IS NULL. Both sides update that row, so whichever
-- commits first wins: a cancel waiting on a starting call finds
-- call_started_at set, and a call starting after a cancel finds the
-- booking canceled and is refused.
ALTER TABLE scheduled_calls ADD COLUMN call_started_at TIMESTAMPTZ;

-- customer_id is the payment provider's customer that the guest's payment
-- method was saved to when it was verified at booking, so the call's holds
-- can be placed off-session.
ALTER TABLE scheduled_calls ADD COLUMN customer_id TEXT;

UPDATE scheduled_calls s SET call_started_at = c.created_at FROM calls c WHERE c.id = s.id;

CREATE FUNCTION calls_start_booking() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE scheduled_calls SET call_started_at = NEW.created_at WHERE id = NEW.id AND status = 'confirmed';
	IF NOT FOUND AND EXISTS (SELECT 1 FROM scheduled_calls WHERE id = NEW.id) THEN
		RAISE EXCEPTION 'vidivo: the booking of this call is not confirmed' USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER calls_start_booking AFTER INSERT ON calls
	FOR EACH ROW EXECUTE FUNCTION calls_start_booking();

-- Counting a guest's upcoming bookings with a host (the per-guest cap).
CREATE INDEX scheduled_calls_guest_host_idx ON scheduled_calls (guest_id, host_id, starts_at) WHERE status = 'confirmed';
