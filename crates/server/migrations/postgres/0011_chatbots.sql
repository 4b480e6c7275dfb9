-- Chatbots: websites (where the widget runs, and which origins may embed it), bots with their
-- flow, audiences (which pages of a website a bot runs on, and whether it reaches out by itself),
-- and the conversations visitors have with them.

CREATE TABLE websites (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    allowed_origins TEXT NOT NULL,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX websites_live ON websites(account_id, seq) WHERE deleted = 0;

CREATE TABLE bots (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    flow TEXT NOT NULL,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX bots_live ON bots(account_id, seq) WHERE deleted = 0;

CREATE TABLE audiences (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    website_id TEXT NOT NULL,
    bot_id TEXT NOT NULL,
    name TEXT NOT NULL,
    -- JSON array of path prefixes; empty: every page.
    pages TEXT NOT NULL,
    -- Seconds after which the bot opens by itself; NULL: only when the visitor opens it.
    reach_out_after BIGINT,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX audiences_live ON audiences(account_id, seq) WHERE deleted = 0;
CREATE INDEX audiences_website ON audiences(website_id) WHERE deleted = 0;

CREATE TABLE conversations (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    bot_id TEXT NOT NULL,
    website_id TEXT NOT NULL,
    audience_id TEXT,
    contact_id TEXT,
    owner_id TEXT NOT NULL,
    initiated_by TEXT NOT NULL,
    status TEXT NOT NULL,
    -- The step the visitor is at (NULL once the flow ended).
    step TEXT,
    -- JSON array of {id, internal_label, question, value}.
    answers TEXT NOT NULL,
    -- Whether the visitor has answered anything yet (conversation.started fired).
    interacted BIGINT NOT NULL DEFAULT 0,
    -- The visitor's key to this conversation (the widget holds it).
    token TEXT NOT NULL UNIQUE,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    last_interacted_time BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX conversations_live ON conversations(account_id, seq) WHERE deleted = 0;
CREATE INDEX conversations_idle ON conversations(status, last_interacted_time);
CREATE INDEX bookings_conversation ON bookings(conversation_id) WHERE conversation_id IS NOT NULL;
