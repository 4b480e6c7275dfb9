-- The integrators' console. A rotated secret stays valid until `previous_secret_expiry`
-- (deliveries are signed with both meanwhile). A FIFO webhook gets its deliveries of one booking
-- in order: each carries the booking as `ordering_key`, and waits while an earlier one of the
-- same key is pending.
ALTER TABLE webhooks ADD COLUMN previous_secret TEXT;
ALTER TABLE webhooks ADD COLUMN previous_secret_expiry BIGINT;
ALTER TABLE webhooks ADD COLUMN secret_rotated_time BIGINT;
ALTER TABLE webhooks ADD COLUMN fifo BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN ordering_key TEXT;
CREATE INDEX deliveries_ordered ON deliveries(webhook_id, ordering_key, seq) WHERE status = 'pending' AND ordering_key IS NOT NULL;
