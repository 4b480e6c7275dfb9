-- Foundation: accounts, keys, users, teams, contacts, custom fields, webhooks.
-- Instants are BIGINT milliseconds since the epoch (UTC); flags are BIGINT 0/1, so the same
-- queries read the same types from SQLite and PostgreSQL. `seq` orders every list.

CREATE TABLE accounts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    timezone TEXT NOT NULL,
    creation_time BIGINT NOT NULL
);

CREATE TABLE api_keys (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    hint TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    creation_time BIGINT NOT NULL,
    revoked_time BIGINT
);
CREATE INDEX api_keys_account ON api_keys(account_id, seq);

CREATE TABLE teams (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX teams_account ON teams(account_id, seq);

CREATE TABLE users (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_lc TEXT NOT NULL,
    status TEXT NOT NULL,
    role_name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    schedule TEXT NOT NULL,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX users_account ON users(account_id, seq);
CREATE UNIQUE INDEX users_email ON users(account_id, email_lc) WHERE deleted = 0;

CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members(user_id);

CREATE TABLE custom_fields (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    creation_time BIGINT NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE contacts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    owner_id TEXT,
    email TEXT,
    email_lc TEXT,
    mobile_phone TEXT,
    first_name TEXT,
    last_name TEXT,
    status TEXT,
    city TEXT,
    company_size TEXT,
    company TEXT,
    country TEXT,
    employees BIGINT,
    has_consent BIGINT NOT NULL DEFAULT 0,
    job_title TEXT,
    phone TEXT,
    post_code TEXT,
    salutation TEXT,
    state TEXT,
    street_address TEXT,
    terms_of_service BIGINT NOT NULL DEFAULT 0,
    timezone TEXT,
    custom_fields TEXT NOT NULL DEFAULT '[]',
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    last_interacted_time BIGINT,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX contacts_account ON contacts(account_id, seq);
CREATE UNIQUE INDEX contacts_email ON contacts(account_id, email_lc) WHERE deleted = 0 AND email_lc IS NOT NULL;
CREATE UNIQUE INDEX contacts_mobile ON contacts(account_id, mobile_phone) WHERE deleted = 0 AND mobile_phone IS NOT NULL;

CREATE TABLE webhooks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    api_version TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'enabled',
    disabled_reason TEXT,
    creation_time BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX webhooks_account ON webhooks(account_id, seq);
CREATE UNIQUE INDEX webhooks_name ON webhooks(account_id, name) WHERE deleted = 0;
