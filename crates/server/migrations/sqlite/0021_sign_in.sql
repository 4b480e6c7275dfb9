-- People sign in to the hosts' app: a user's password (an argon2id PHC string; NULL: none set
-- yet), the sessions of signed-in browsers and the one-time links that set a password.
ALTER TABLE users ADD COLUMN password_hash TEXT;

-- A signed-in browser. The cookie holds a random token; only its SHA-256 is kept, so a copy of
-- the database cannot be used to sign in. `csrf` is the token every form of the session carries.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    user_agent TEXT,
    creation_time BIGINT NOT NULL,
    last_seen_time BIGINT NOT NULL,
    expire_time BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expire ON sessions(expire_time);

-- A link that lets its holder set a user's password once: an invitation or a reset. Only the
-- token's SHA-256 is kept.
CREATE TABLE user_tokens (
    hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    creation_time BIGINT NOT NULL,
    expire_time BIGINT NOT NULL,
    used_time BIGINT
);
CREATE INDEX user_tokens_user ON user_tokens(user_id);
CREATE INDEX user_tokens_expire ON user_tokens(expire_time);

-- The hosts' app lists an account's bookings by start time.
CREATE INDEX bookings_start ON bookings(account_id, start_time);
