-- The ledger may record a shortfall: what an ended call's holds could not
-- cover (billed minutes × rate less the total charged), so a cut total is
-- explicit. SQLite cannot change a CHECK constraint, so the table is
-- rebuilt with the same rows.
CREATE TABLE call_charges_new (
	id              TEXT PRIMARY KEY,
	call_id         TEXT NOT NULL,
	kind            TEXT NOT NULL CHECK (kind IN ('hold', 'capture', 'release', 'shortfall')),
	window_index    INTEGER NOT NULL,
	amount_cents    INTEGER NOT NULL CHECK (amount_cents >= 0),
	gateway_id      TEXT NOT NULL DEFAULT '',
	idempotency_key TEXT NOT NULL,
	state           TEXT NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
	details         TEXT NOT NULL DEFAULT '',
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL
);
INSERT INTO call_charges_new (id, call_id, kind, window_index, amount_cents, gateway_id, idempotency_key, state,
	details, created_at, updated_at)
	SELECT id, call_id, kind, window_index, amount_cents, gateway_id, idempotency_key, state, details, created_at, updated_at
	FROM call_charges;
DROP TABLE call_charges;
ALTER TABLE call_charges_new RENAME TO call_charges;
CREATE UNIQUE INDEX call_charges_key ON call_charges (idempotency_key);
CREATE INDEX call_charges_call_idx ON call_charges (call_id, id);
CREATE INDEX call_charges_pending_idx ON call_charges (state) WHERE state = 'pending';
