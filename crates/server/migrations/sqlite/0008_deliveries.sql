-- Webhook deliveries: one row per (event, webhook), written with the event (the outbox), and the
-- log of every attempt. A pending delivery is due at `next_attempt_time`; a worker claiming it
-- pushes that time forward by its lease, so a crashed worker's claims come due again.

CREATE TABLE deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,             -- DLV- + the event's and the webhook's random parts
    event_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    status TEXT NOT NULL,                -- pending | delivered | failed
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_time BIGINT,            -- while pending
    window_start BIGINT,                 -- first attempt of this round; retries stop 72 h after it
    last_attempt_time BIGINT,
    last_status_code BIGINT,
    last_error TEXT,
    delivered_time BIGINT,
    creation_time BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0,   -- never set; lists share one cursor scheme
    UNIQUE (event_id, webhook_id)
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_time) WHERE status = 'pending';
CREATE INDEX deliveries_webhook ON deliveries(webhook_id, seq);
CREATE INDEX deliveries_account ON deliveries(account_id, seq);

CREATE TABLE delivery_attempts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_seq BIGINT NOT NULL,
    attempt_time BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    status_code BIGINT,
    error_kind TEXT,                     -- address | connect | timeout | tls | status | body
    error TEXT,
    response_headers TEXT,               -- JSON object
    response_body TEXT,                  -- the first 16 KB
    next_attempt_time BIGINT,            -- the retry it scheduled, if any
    worker TEXT                          -- which worker process made it
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_seq, seq);

-- Failures since the last success; 72 h of them disable the webhook.
ALTER TABLE webhooks ADD COLUMN failing_since BIGINT;
ALTER TABLE webhooks ADD COLUMN disabled_time BIGINT;
