-- Claims move to a table of their own. A claim used to update its delivery (due time and claim
-- mark), and on PostgreSQL every update of a delivery writes a new entry into each of its seven
-- full indexes: the claims were half of the drain's database time (BENCHMARKS.md, "PostgreSQL
-- at scale"). Now a claim is one narrow row here, removed with the attempt's outcome, and a
-- delivery is written once per attempt.
CREATE TABLE delivery_claims (
    delivery_seq BIGINT PRIMARY KEY,
    worker TEXT NOT NULL,
    claimed_time BIGINT NOT NULL,
    -- When the claim runs out if its outcome was not recorded (the worker stopped): the sweep
    -- logs it as interrupted and the delivery is due again.
    lease_until BIGINT NOT NULL,
    -- What the worker sends and decides from, as the delivery was when claimed (so the claim
    -- hands them back without reading the delivery again).
    event_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    window_start BIGINT,
    ordering_key TEXT
);
-- Claims held while this runs keep their worker and lease (a claim's lease was its due time).
INSERT INTO delivery_claims (delivery_seq, worker, claimed_time, lease_until, event_id, webhook_id, attempts, window_start, ordering_key)
    SELECT seq, COALESCE(claimed_by, 'unknown'), claimed_time, next_attempt_time, event_id, webhook_id, attempts, window_start, ordering_key FROM deliveries
    WHERE status = 'pending' AND claimed_time IS NOT NULL;
DROP INDEX deliveries_due;
DROP INDEX deliveries_claimed;
ALTER TABLE deliveries DROP COLUMN claimed_time;
ALTER TABLE deliveries DROP COLUMN claimed_by;
-- Pending deliveries in the order claims take them; those in flight are at its front and the
-- claim skips them (at most the workers' in-flight limit).
CREATE INDEX deliveries_due ON deliveries(next_attempt_time, seq) WHERE status = 'pending';
