-- The ledger may record a shortfall: what an ended call's holds could not
-- cover (billed minutes × rate less the total charged), so a cut total is
-- explicit.
ALTER TABLE call_charges DROP CONSTRAINT call_charges_kind_check;
ALTER TABLE call_charges ADD CONSTRAINT call_charges_kind_check
	CHECK (kind IN ('hold', 'capture', 'release', 'shortfall'));
