-- One-time links: single-use booking links for a booking calendar or a master page, with the
-- prefill and settings they were created with. Unused links expire after 90 days.
CREATE TABLE one_time_links (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    options TEXT NOT NULL,
    creation_time BIGINT NOT NULL,
    expiry_time BIGINT NOT NULL,
    used_time BIGINT,
    booking_id TEXT
);
CREATE INDEX one_time_links_target ON one_time_links(account_id, target_id);
