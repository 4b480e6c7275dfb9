-- Retention removes idempotency records older than their period, oldest first, in batches:
-- each batch reads them by time instead of scanning the table.
CREATE INDEX idempotency_keys_time ON idempotency_keys(creation_time);
