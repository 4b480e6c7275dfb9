-- A claim records when and by whom a delivery was taken; recording its outcome clears it. A
-- claim whose lease ran out with the mark still set was interrupted (the worker died): it is
-- written to the attempt log as such, so the log accounts for every request a receiver saw.
ALTER TABLE deliveries ADD COLUMN claimed_time BIGINT;
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
-- Due deliveries nobody holds, in the exact order claims take them (so a claim reads only the
-- rows it takes, with no sort, whatever the planner estimates; a claim leaves this index, so
-- claims read only what they may take); and held ones, for the interrupted-claim sweep.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries(next_attempt_time, seq) WHERE status = 'pending' AND claimed_time IS NULL;
CREATE INDEX deliveries_claimed ON deliveries(next_attempt_time) WHERE status = 'pending' AND claimed_time IS NOT NULL;
