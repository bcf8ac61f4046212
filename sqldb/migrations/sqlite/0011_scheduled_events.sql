-- A booking canceled by a reschedule names the booking that replaced it,
-- written in the reschedule's transaction: the old invitee's new_invitee
-- and the new invitee's old_invitee (read through the unique index) link
-- the two. A booking is replaced at most once.
ALTER TABLE scheduled_calls ADD COLUMN rescheduled_to TEXT REFERENCES scheduled_calls (id);
CREATE UNIQUE INDEX scheduled_calls_rescheduled_to_idx ON scheduled_calls (rescheduled_to) WHERE rescheduled_to IS NOT NULL;
