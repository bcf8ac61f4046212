-- A booking whose call exists can no longer be canceled or rescheduled.
-- call_started_at is set in the transaction that inserts the booking's
-- call (same id), by the trigger below, so cancel and reschedule are one
-- compare-and-set on the booking's own row: status = 'confirmed' AND
-- call_started_at IS NULL. A call cannot start for a booking that is no
-- longer confirmed.
ALTER TABLE scheduled_calls ADD COLUMN call_started_at TEXT;

-- customer_id is the payment provider's customer that the guest's payment
-- method was saved to when it was verified at booking, so the call's holds
-- can be placed off-session.
ALTER TABLE scheduled_calls ADD COLUMN customer_id TEXT;

UPDATE scheduled_calls SET call_started_at = (SELECT created_at FROM calls WHERE calls.id = scheduled_calls.id)
	WHERE EXISTS (SELECT 1 FROM calls WHERE calls.id = scheduled_calls.id);

CREATE TRIGGER calls_start_booking AFTER INSERT ON calls
BEGIN
	SELECT RAISE(ABORT, 'vidivo: the booking of this call is not confirmed')
		WHERE EXISTS (SELECT 1 FROM scheduled_calls WHERE id = NEW.id AND status <> 'confirmed');
	UPDATE scheduled_calls SET call_started_at = NEW.created_at WHERE id = NEW.id;
END;

-- Counting a guest's upcoming bookings with a host (the per-guest cap).
CREATE INDEX scheduled_calls_guest_host_idx ON scheduled_calls (guest_id, host_id, starts_at) WHERE status = 'confirmed';
