-- A public form's token is good for one post: the post records it here, and the primary key
-- refuses a second post with the same token. Rows are purged once the token would have
-- expired anyway.
CREATE TABLE form_token_uses (
    token TEXT PRIMARY KEY,
    expiry_time BIGINT NOT NULL
);
CREATE INDEX form_token_uses_expiry ON form_token_uses(expiry_time);
