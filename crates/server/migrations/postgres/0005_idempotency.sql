-- Idempotency-Key: the first response to a POST, replayed for 24 hours to the same key.
-- A row without a status is a request still being processed.
CREATE TABLE idempotency_keys (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT,
    body TEXT,
    creation_time BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
);
