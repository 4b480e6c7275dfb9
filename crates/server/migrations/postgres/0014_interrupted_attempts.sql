-- A claim records when and by whom a delivery was taken; recording its outcome clears it. A
-- claim whose lease ran out with the mark still set was interrupted (the worker died): it is
-- written to the attempt log as such, so the log accounts for every request a receiver saw.
ALTER TABLE deliveries ADD COLUMN claimed_time BIGINT;
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
CREATE INDEX deliveries_claimed ON deliveries(next_attempt_time) WHERE claimed_time IS NOT NULL;
