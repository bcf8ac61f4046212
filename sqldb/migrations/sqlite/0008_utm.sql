-- The UTM parameters of the page a booking was made from (an embedded
-- scheduling widget passes them through), returned with the booking as
-- its tracking. NULL is a parameter that was not given.
ALTER TABLE scheduled_calls ADD COLUMN utm_source TEXT CHECK (length(utm_source) <= 255);
ALTER TABLE scheduled_calls ADD COLUMN utm_medium TEXT CHECK (length(utm_medium) <= 255);
ALTER TABLE scheduled_calls ADD COLUMN utm_campaign TEXT CHECK (length(utm_campaign) <= 255);
ALTER TABLE scheduled_calls ADD COLUMN utm_content TEXT CHECK (length(utm_content) <= 255);
ALTER TABLE scheduled_calls ADD COLUMN utm_term TEXT CHECK (length(utm_term) <= 255);
